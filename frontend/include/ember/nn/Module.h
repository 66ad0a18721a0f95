//===- Module.h - Neural-network modules ------------------------*- C++ -*-===//
//
// Part of Ember. nn::Module in PyTorch's shape: named parameters and child
// modules, train()/eval(), state_dict(), and printing in PyTorch's format.
//
// Parameters are Tensor handles: a module and an optimizer holding the same
// parameter share it, and updates are seen by both. A module registers its
// member sub-modules by reference, so a module that does so must not be
// moved or copied afterwards; the library's modules (Linear, Sequential, ...)
// own what they register and can be moved.
//
//===----------------------------------------------------------------------===//

#ifndef EMBER_NN_MODULE_H
#define EMBER_NN_MODULE_H

#include "ember/frontend/Device.h"
#include "ember/frontend/Tensor.h"
#include "ember/serialize/Safetensors.h"

#include <functional>
#include <initializer_list>
#include <iosfwd>
#include <source_location>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace ember::nn {

/// What load_state_dict(state, strict = false) skipped.
struct IncompatibleKeys {
  /// The module's parameters and buffers the state did not give.
  std::vector<std::string> missing_keys;
  /// The state's entries the module does not have.
  std::vector<std::string> unexpected_keys;
};

class Module {
public:
  Module() = default;
  /// Drops the parameters' gradients: a gradient not yet computed refers to
  /// the graph that produced it, which refers to the parameters, a cycle
  /// that would otherwise keep them alive.
  virtual ~Module();
  Module(const Module &) = delete;
  Module &operator=(const Module &) = delete;
  Module(Module &&) = default;
  Module &operator=(Module &&) = default;

  /// The module's computation. Modules with one input override this.
  virtual Tensor forward(const Tensor &input);
  Tensor operator()(const Tensor &input) { return forward(input); }

  /// The class name PyTorch would print, e.g. "Linear".
  virtual std::string name() const;
  /// The text inside the parentheses when printed, e.g.
  /// "in_features=784, out_features=512, bias=True".
  virtual std::string extra_repr() const { return ""; }

  /// Parameters of this module and (with `recurse`) its descendants, named
  /// by path ("linear_relu_stack.0.weight").
  StateDict named_parameters(bool recurse = true) const;
  std::vector<Tensor> parameters(bool recurse = true) const;
  const std::vector<std::pair<std::string, Module *>> &children() const {
    return children_;
  }

  /// Buffers (state that is not trained, such as batch norm's running
  /// statistics) of this module and its descendants, named by path.
  StateDict named_buffers(bool recurse = true) const;
  std::vector<Tensor> buffers(bool recurse = true) const;

  /// The parameters and buffers by name, in PyTorch's order (each module's
  /// parameters, then its buffers, then its children's): what checkpoints
  /// store.
  StateDict state_dict() const;
  /// Copies values into the parameters and buffers, each of the same shape
  /// and dtype as its entry. With `strict`, the names must be exactly
  /// state_dict()'s; without, entries the module lacks are skipped and
  /// parameters the state lacks keep their values, and the returned keys
  /// name both (PyTorch's missing_keys and unexpected_keys). All of it is
  /// checked before anything is copied: an error changes nothing.
  IncompatibleKeys load_state_dict(const StateDict &state, bool strict = true);

  void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }
  /// Moves the parameters and buffers to `device`, in place.
  Module &to(const Device &device,
             std::source_location loc = std::source_location::current());
  /// Drops every parameter's gradient.
  void zero_grad();

protected:
  /// Registers `tensor` as a parameter (it then requires grad).
  Tensor &register_parameter(std::string name, Tensor &tensor);
  /// Registers `tensor` (a tensor with a value) as a buffer: saved and
  /// loaded with the parameters and moved by to(), never trained.
  Tensor &register_buffer(std::string name, Tensor &tensor);
  /// Registers a member module as a child, by reference.
  void register_module(std::string name, Module &module);
  void register_modules(
      std::initializer_list<std::pair<std::string, std::reference_wrapper<Module>>>
          modules);
  /// Registers a child this module owns.
  void register_owned_module(std::string name, std::shared_ptr<Module> module);

private:
  void collect(const std::string &prefix, bool recurse, bool parameters,
               bool buffers, StateDict &out) const;

  std::vector<std::pair<std::string, Tensor>> parameters_, buffers_;
  std::vector<std::pair<std::string, Module *>> children_;
  std::vector<std::shared_ptr<Module>> owned_;
  bool training_ = true;
};

/// Prints the module tree exactly as PyTorch's repr(module) does.
std::ostream &operator<<(std::ostream &os, const Module &module);

} // namespace ember::nn

#endif // EMBER_NN_MODULE_H
