//===- save_load.cpp - Learn the Basics: Save and Load the Model ----------===//
//
// Part of Ember. PyTorch's Save and Load chapter on fixed data and weights
// (tutorial.h): a checkpoint of the model and the optimizer after two
// epochs, loaded into fresh objects, trains on exactly as the uninterrupted
// run does. Line by line with save_load.py; the test tutorial.save_load
// compares what it prints with what save_load.py printed
// (expected/save_load.txt).
//
//===----------------------------------------------------------------------===//

#include "tutorial.h"

#include <cstdio>
#include <filesystem>
#include <iostream>

using namespace ember;

/// Python's list of strings, as print() writes it.
static std::string pyList(const std::vector<std::string> &items) {
  std::string s = "[";
  for (size_t i = 0; i < items.size(); ++i)
    s += (i ? ", '" : "'") + items[i] + "'";
  return s + "]";
}

int main() {
  Tensor X = tutorial::features(), Y = tutorial::labels();
  nn::CrossEntropyLoss lossFn;
  nn::Sequential model = tutorial::makeModel();
  optim::Adam optimizer(model.parameters(), {.lr = 0.01});
  for (int epoch = 0; epoch < 2; ++epoch)
    std::printf("epoch %d: loss %.6f\n", epoch,
                tutorial::trainEpoch(model, lossFn, optimizer, X, Y));

  std::filesystem::path dir = std::filesystem::temp_directory_path();
  std::string modelPath = (dir / "ember_tutorial_model.safetensors").string();
  std::string optimPath = (dir / "ember_tutorial_optim.safetensors").string();
  save_safetensors(model.state_dict(), modelPath);
  optim::OptimizerState state = optimizer.state_dict();
  save_safetensors(state.tensors, optimPath, state.metadata);

  // Fresh objects with other weights; the checkpoint replaces them.
  nn::Sequential model2 = tutorial::makeModel(/*offset=*/1.7);
  optim::Adam optimizer2(model2.parameters(), {.lr = 0.01});
  nn::IncompatibleKeys keys =
      model2.load_state_dict(load_safetensors(modelPath));
  std::printf("missing keys: %s, unexpected keys: %s\n",
              pyList(keys.missing_keys).c_str(),
              pyList(keys.unexpected_keys).c_str());
  optim::OptimizerState loaded;
  loaded.tensors = load_safetensors(optimPath, &loaded.metadata);
  optimizer2.load_state_dict(loaded);
  std::filesystem::remove(modelPath);
  std::filesystem::remove(optimPath);

  std::printf("epoch 2, uninterrupted: loss %.6f\n",
              tutorial::trainEpoch(model, lossFn, optimizer, X, Y));
  std::printf("epoch 2, resumed:       loss %.6f\n",
              tutorial::trainEpoch(model2, lossFn, optimizer2, X, Y));
  std::vector<Tensor> a = model.parameters(), b = model2.parameters();
  bool same = a.size() == b.size();
  for (size_t i = 0; same && i < a.size(); ++i)
    same = a[i].to_vector() == b[i].to_vector();
  std::printf("parameters identical: %s\n", same ? "True" : "False");

  // strict=false reports what does not match instead of failing.
  StateDict partial;
  for (auto &[name, t] : model.state_dict())
    if (name != "2.bias")
      partial.emplace_back(name, t);
  partial.emplace_back("extra", zeros({1}));
  nn::IncompatibleKeys result =
      model2.load_state_dict(partial, /*strict=*/false);
  std::printf("missing keys: %s, unexpected keys: %s\n",
              pyList(result.missing_keys).c_str(),
              pyList(result.unexpected_keys).c_str());
  model.eval();
  NoGradGuard noGrad;
  std::cout << model(X.index({indexing::Slice(indexing::None, 2)})) << "\n";
  return same ? 0 : 1;
}
