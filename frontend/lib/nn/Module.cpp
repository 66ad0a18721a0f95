//===- Module.cpp - Neural-network modules --------------------------------===//
//
// Part of Ember.
//
//===----------------------------------------------------------------------===//

#include "ember/nn/Module.h"

#include "../Realize.h"
#include "ember/runtime/Cuda.h"

#include <fmt/format.h>

#include <cstring>
#include <unordered_map>
#include <cxxabi.h>
#include <ostream>
#include <sstream>
#include <typeinfo>

namespace ember {

bool cuda::is_available() { return rt::cuda::available(); }
int cuda::device_count() { return rt::cuda::deviceCount(); }

namespace nn {
namespace {

std::string shapeStr(const Shape &shape) { return fe::shapeString(shape); }

/// PyTorch's _addindent: indents every line but the first.
std::string addIndent(const std::string &text, int spaces) {
  std::string out;
  std::string pad(spaces, ' ');
  for (char c : text) {
    out += c;
    if (c == '\n')
      out += pad;
  }
  return out;
}

/// PyTorch's Module.__repr__.
std::string repr(const Module &m) {
  std::vector<std::string> extraLines, childLines;
  std::string extra = m.extra_repr();
  if (!extra.empty()) {
    std::istringstream is(extra);
    for (std::string line; std::getline(is, line);)
      extraLines.push_back(line);
  }
  for (const auto &[key, child] : m.children())
    childLines.push_back("(" + key + "): " + addIndent(repr(*child), 2));
  std::string out = m.name() + "(";
  if (extraLines.size() == 1 && childLines.empty()) {
    out += extraLines[0];
  } else if (!extraLines.empty() || !childLines.empty()) {
    std::vector<std::string> lines = extraLines;
    lines.insert(lines.end(), childLines.begin(), childLines.end());
    out += "\n  " + fmt::format("{}", fmt::join(lines, "\n  ")) + "\n";
  }
  return out + ")";
}

} // namespace

Module::~Module() {
  for (auto &[name, t] : parameters_)
    t.zero_grad_();
}

Tensor Module::forward(const Tensor &) {
  throw Error(name() + " does not implement forward(const Tensor &)");
}

std::string Module::name() const {
  const char *mangled = typeid(*this).name();
  int status = 0;
  char *demangled = abi::__cxa_demangle(mangled, nullptr, nullptr, &status);
  std::string full = status == 0 && demangled ? demangled : mangled;
  std::free(demangled);
  // PyTorch prints the bare class name, without namespaces.
  size_t colon = full.rfind("::");
  return colon == std::string::npos ? full : full.substr(colon + 2);
}

void Module::collect(const std::string &prefix, bool recurse, bool parameters,
                     bool buffers, StateDict &out) const {
  if (parameters)
    for (const auto &[name, t] : parameters_)
      out.emplace_back(prefix + name, t);
  if (buffers)
    for (const auto &[name, t] : buffers_)
      out.emplace_back(prefix + name, t);
  if (!recurse)
    return;
  for (const auto &[name, child] : children_)
    child->collect(prefix + name + ".", true, parameters, buffers, out);
}

StateDict Module::named_parameters(bool recurse) const {
  StateDict out;
  collect("", recurse, true, false, out);
  return out;
}

StateDict Module::named_buffers(bool recurse) const {
  StateDict out;
  collect("", recurse, false, true, out);
  return out;
}

std::vector<Tensor> Module::buffers(bool recurse) const {
  std::vector<Tensor> out;
  for (auto &[name, t] : named_buffers(recurse))
    out.push_back(t);
  return out;
}

StateDict Module::state_dict() const {
  StateDict out;
  collect("", true, true, true, out);
  return out;
}

std::vector<Tensor> Module::parameters(bool recurse) const {
  std::vector<Tensor> out;
  for (auto &[name, t] : named_parameters(recurse))
    out.push_back(t);
  return out;
}

IncompatibleKeys Module::load_state_dict(const StateDict &state, bool strict) {
  IncompatibleKeys keys;
  // All or nothing: every entry is checked (names, shapes, dtypes, and with
  // `strict` that none is missing) and moved to its parameter's device
  // before any parameter is written, so a failure leaves the module as it
  // was instead of half loaded.
  StateDict mine = state_dict();
  std::unordered_map<std::string_view, size_t> index;
  index.reserve(mine.size());
  for (size_t i = 0; i < mine.size(); ++i)
    index.emplace(mine[i].first, i);
  std::vector<const Tensor *> given(mine.size(), nullptr);
  for (const auto &[name, value] : state) {
    auto found = index.find(name);
    if (found == index.end()) {
      if (strict)
        throw Error(fmt::format("load_state_dict: {} has no parameter or "
                                "buffer '{}' (strict = false would skip "
                                "it)",
                                this->name(), name));
      keys.unexpected_keys.push_back(name);
      continue;
    }
    size_t i = found->second;
    if (given[i])
      throw Error(fmt::format("load_state_dict: the state has '{}' twice",
                              name));
    const Tensor &param = mine[i].second;
    if (!value.defined())
      throw Error(fmt::format("load_state_dict: '{}' is undefined in the "
                              "state",
                              name));
    if (value.shape() != param.shape() || value.dtype() != param.dtype())
      throw Error(fmt::format(
          "load_state_dict: '{}' is {} {} in the state, {} {} in the model",
          name, dtypeName(value.dtype()), shapeStr(value.shape()),
          dtypeName(param.dtype()), shapeStr(param.shape())));
    given[i] = &value;
  }
  for (size_t i = 0; i < mine.size(); ++i)
    if (!given[i]) {
      if (strict)
        throw Error(fmt::format("load_state_dict: the state has no '{}' "
                                "(strict = false would leave it as it is)",
                                mine[i].first));
      keys.missing_keys.push_back(mine[i].first);
    }

  // Everything that can fail (computing the values, moving them, copying
  // them out) happens before the first parameter changes.
  struct Update {
    fe::Node *node;
    std::shared_ptr<rt::Buffer> data;
    Tensor moved; ///< holds the device data
  };
  std::vector<Update> updates;
  for (size_t i = 0; i < mine.size(); ++i) {
    if (!given[i])
      continue;
    fe::Node &node = *mine[i].second.node();
    Tensor moved = given[i]->to(node.device);
    moved.realize();
    Update update{&node, nullptr, moved};
    if (node.device.is_cpu()) {
      // A copy: the parameter must not share the state's buffer.
      std::shared_ptr<rt::Buffer> host =
          fe::hostData(*moved.node(), std::source_location::current());
      update.data = rt::Buffer::allocate(host->size());
      std::memcpy(update.data->data(), host->data(), host->size());
    }
    updates.push_back(std::move(update));
  }
  // The parameter's node takes the values (on the parameter's device), so
  // every holder of the parameter sees them.
  for (Update &update : updates)
    fe::setLeafData(*update.node, std::move(update.data),
                    update.moved.node()->deviceData);
  return keys;
}

void Module::train(bool on) {
  training_ = on;
  for (auto &[name, child] : children_)
    child->train(on);
}

Module &Module::to(const Device &device, std::source_location loc) {
  // In place: each parameter's node moves, so the module, optimizers and
  // any other handle keep referring to the same parameters.
  std::vector<Tensor> tensors = parameters();
  for (const Tensor &b : buffers())
    tensors.push_back(b);
  for (Tensor &p : tensors) {
    fe::Node &node = *p.node();
    if (node.device == device)
      continue;
    Tensor moved = p.to(device, loc);
    node.data = moved.node()->data;
    node.deviceData = moved.node()->deviceData;
    node.device = device;
  }
  return *this;
}

void Module::zero_grad() {
  for (const Tensor &p : parameters())
    p.zero_grad_();
}

Tensor &Module::register_parameter(std::string name, Tensor &tensor) {
  tensor.requires_grad_(true);
  parameters_.emplace_back(std::move(name), tensor);
  return tensor;
}

Tensor &Module::register_buffer(std::string name, Tensor &tensor) {
  if (!tensor.defined())
    throw Error(fmt::format("register_buffer: '{}' is undefined", name));
  tensor.realize();
  buffers_.emplace_back(std::move(name), tensor);
  return tensor;
}

void Module::register_module(std::string name, Module &module) {
  children_.emplace_back(std::move(name), &module);
}

void Module::register_modules(
    std::initializer_list<std::pair<std::string, std::reference_wrapper<Module>>>
        modules) {
  for (const auto &[name, module] : modules)
    register_module(name, module.get());
}

void Module::register_owned_module(std::string name,
                                   std::shared_ptr<Module> module) {
  children_.emplace_back(std::move(name), module.get());
  owned_.push_back(std::move(module));
}

std::ostream &operator<<(std::ostream &os, const Module &module) {
  return os << repr(module);
}

} // namespace nn
} // namespace ember
