//===- Modules.h - The layers of the Quickstart -----------------*- C++ -*-===//
//
// Part of Ember. Linear, Conv2d, the activations, Flatten, Sequential,
// with PyTorch's semantics, initialisation and printed form (the losses
// are in Loss.h).
//
//===----------------------------------------------------------------------===//

#ifndef EMBER_NN_MODULES_H
#define EMBER_NN_MODULES_H

#include "ember/nn/Loss.h"
#include "ember/nn/Module.h"

#include <optional>
#include <type_traits>

namespace ember::nn {

/// y = x·weightᵀ + bias, weight [out_features, in_features]. Weight and bias
/// are drawn from U(-1/√in_features, 1/√in_features), as PyTorch does, from
/// the global generator (ember::manual_seed).
class Linear : public Module {
public:
  Linear(int64_t in_features, int64_t out_features, bool bias = true);
  Tensor forward(const Tensor &input) override;
  std::string extra_repr() const override;

  int64_t in_features, out_features;
  Tensor weight, bias;
};

/// 2-D convolution, as torch.nn.Conv2d: input [N, in_channels, H, W] (or
/// [in_channels, H, W]), weight [out_channels, in_channels / groups,
/// kernel_size.h, kernel_size.w], bias [out_channels]; zero padding. Weight
/// and bias are drawn from U(-1/√fan_in, 1/√fan_in), fan_in = in_channels /
/// groups * kernel height * kernel width, as PyTorch does, from the global
/// generator.
class Conv2d : public Module {
public:
  Conv2d(int64_t in_channels, int64_t out_channels, Size2 kernel_size,
         Size2 stride = 1, Size2 padding = 0, Size2 dilation = 1,
         int64_t groups = 1, bool bias = true);
  Tensor forward(const Tensor &input) override;
  std::string extra_repr() const override;

  int64_t in_channels, out_channels;
  Size2 kernel_size, stride, padding, dilation;
  int64_t groups;
  Tensor weight, bias;
};

/// 2-D max pooling, as torch.nn.MaxPool2d (ceil_mode=False):
/// `stride` defaults to `kernel_size`.
class MaxPool2d : public Module {
public:
  MaxPool2d(Size2 kernel_size, std::optional<Size2> stride = std::nullopt,
            Size2 padding = 0, Size2 dilation = 1)
      : kernel_size(kernel_size), stride(stride.value_or(kernel_size)),
        padding(padding), dilation(dilation) {}
  Tensor forward(const Tensor &input) override {
    return max_pool2d(input, kernel_size, stride, padding, dilation);
  }
  std::string extra_repr() const override;

  Size2 kernel_size, stride, padding, dilation;
};

/// 2-D average pooling, as torch.nn.AvgPool2d (ceil_mode=False,
/// count_include_pad=True): `stride` defaults to `kernel_size`.
class AvgPool2d : public Module {
public:
  AvgPool2d(Size2 kernel_size, std::optional<Size2> stride = std::nullopt,
            Size2 padding = 0)
      : kernel_size(kernel_size), stride(stride.value_or(kernel_size)),
        padding(padding) {}
  Tensor forward(const Tensor &input) override {
    return avg_pool2d(input, kernel_size, stride, padding);
  }
  std::string extra_repr() const override;

  Size2 kernel_size, stride, padding;
};

/// Average pooling to a fixed output size, as torch.nn.AdaptiveAvgPool2d.
class AdaptiveAvgPool2d : public Module {
public:
  explicit AdaptiveAvgPool2d(Size2 output_size) : output_size(output_size) {}
  Tensor forward(const Tensor &input) override {
    return adaptive_avg_pool2d(input, output_size);
  }
  std::string extra_repr() const override;

  Size2 output_size;
};

/// Batch normalisation of [N, C, H, W] per channel, as torch.nn.BatchNorm2d.
/// In training mode (train()) it normalises by the batch's mean and
/// (biased) variance and updates the buffers running_mean, running_var
/// (with the unbiased variance) and num_batches_tracked; in eval mode it
/// normalises by the running statistics. The buffers are saved and loaded
/// under PyTorch's names. The update is computed with the next graph that
/// runs (the training step), not at once.
class BatchNorm2d : public Module {
public:
  explicit BatchNorm2d(int64_t num_features, double eps = 1e-5,
                       double momentum = 0.1, bool affine = true,
                       bool track_running_stats = true);
  Tensor forward(const Tensor &input) override;
  std::string extra_repr() const override;

  int64_t num_features;
  double eps, momentum;
  bool affine, track_running_stats;
  Tensor weight, bias;                                   ///< with `affine`
  Tensor running_mean, running_var, num_batches_tracked; ///< when tracked
};

/// Dropout, as torch.nn.Dropout: functional::dropout in training mode, the
/// identity in eval mode.
class Dropout : public Module {
public:
  explicit Dropout(double p = 0.5);
  Tensor forward(const Tensor &input) override;
  std::string extra_repr() const override;

  double p;
};

class ReLU : public Module {
public:
  Tensor forward(const Tensor &input) override { return input.relu(); }
};

class Sigmoid : public Module {
public:
  Tensor forward(const Tensor &input) override { return input.sigmoid(); }
};

class Tanh : public Module {
public:
  Tensor forward(const Tensor &input) override { return input.tanh(); }
};

/// The exact GELU, x * Phi(x) (PyTorch's approximate='none').
class GELU : public Module {
public:
  Tensor forward(const Tensor &input) override { return gelu(input); }
  std::string extra_repr() const override { return "approximate='none'"; }
};

/// Flattens dimensions start_dim..end_dim into one.
class Flatten : public Module {
public:
  explicit Flatten(int64_t start_dim = 1, int64_t end_dim = -1)
      : start_dim(start_dim), end_dim(end_dim) {}
  Tensor forward(const Tensor &input) override;
  std::string extra_repr() const override;

  int64_t start_dim, end_dim;
};

/// Any module, held by value: what Sequential is built from.
class AnyModule {
public:
  template <typename M, typename = std::enable_if_t<
                            std::is_base_of_v<Module, std::decay_t<M>>>>
  AnyModule(M &&module)
      : module_(std::make_shared<std::decay_t<M>>(std::forward<M>(module))) {}
  const std::shared_ptr<Module> &get() const { return module_; }

private:
  std::shared_ptr<Module> module_;
};

/// Applies its modules in order; they are named "0", "1", ...
class Sequential : public Module {
public:
  Sequential(std::initializer_list<AnyModule> modules);
  Tensor forward(const Tensor &input) override;
  size_t size() const { return modules_.size(); }
  Module &operator[](size_t i) { return *modules_.at(i); }

private:
  std::vector<std::shared_ptr<Module>> modules_;
};

namespace functional {
/// Zeroes each element with probability `p` and scales the others by
/// 1 / (1 - p) when `training` (torch.nn.functional.dropout); else returns
/// `input`. The mask is drawn inside the compiled graph by a counter-based
/// generator (Philox) that ember::manual_seed seeds: the same seed gives
/// the same masks on every backend.
Tensor dropout(const Tensor &input, double p = 0.5, bool training = true,
               Tensor::Loc loc = Tensor::Loc::current());

/// Batch normalisation, as torch.nn.functional.batch_norm: `input`
/// [N, C, ...] normalised per channel by the batch's statistics (over
/// every dim but 1) when `training`, else by `running_mean` and
/// `running_var`; then scaled by `weight` and shifted by `bias` when they
/// are defined. In training, defined running statistics (leaves) take
/// (1 - momentum) * running + momentum * batch statistic (the variance
/// unbiased), computed with the next graph that runs.
Tensor batch_norm(const Tensor &input, const Tensor &running_mean,
                  const Tensor &running_var, const Tensor &weight,
                  const Tensor &bias, bool training, double momentum = 0.1,
                  double eps = 1e-5, Tensor::Loc loc = Tensor::Loc::current());

} // namespace functional

} // namespace ember::nn

#endif // EMBER_NN_MODULES_H
