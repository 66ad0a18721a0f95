//===- Anomaly.cpp - NaN and infinity in results --------------------------===//
//
// Part of Ember. set_detect_anomaly: every CPU graph's results are scanned
// for NaN and infinity, and a graph that produced one is recomputed one op
// at a time to name the first op that did.
//
//===----------------------------------------------------------------------===//

#include "Anomaly.h"

#include "Realize.h"

#include "ember/frontend/Error.h"
#include "ember/frontend/Tensor.h"

#include <fmt/format.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <string>
#include <unordered_map>

namespace ember::fe {

namespace {
std::atomic<bool> &anomalyDetection() {
  static std::atomic<bool> enabled{[] {
    const char *env = std::getenv("EMBER_DETECT_ANOMALY");
    return env && *env && std::string(env) != "0";
  }()};
  return enabled;
}

/// Set while a diagnosis recomputes a graph op by op.
thread_local bool diagnosing = false;
} // namespace

bool anomalyChecksOn() {
  return anomalyDetection().load(std::memory_order_relaxed) && !diagnosing;
}

const char *firstNonFinite(const void *data, DType dtype, int64_t n) {
  auto scan = [&](auto *v) -> const char * {
    for (int64_t i = 0; i < n; ++i)
      if (!std::isfinite(v[i]))
        return std::isnan(v[i]) ? "nan" : v[i] > 0 ? "inf" : "-inf";
    return nullptr;
  };
  if (dtype == DType::Float32)
    return scan(static_cast<const float *>(data));
  if (dtype == DType::Float64)
    return scan(static_cast<const double *>(data));
  if (isHalf(dtype)) {
    const auto *bits = static_cast<const uint16_t *>(data);
    // Both formats are all-ones exponents for infinity and NaN.
    uint16_t expMask = dtype == DType::Float16 ? 0x7c00 : 0x7f80;
    uint16_t mantMask = dtype == DType::Float16 ? 0x03ff : 0x007f;
    for (int64_t i = 0; i < n; ++i)
      if ((bits[i] & expMask) == expMask)
        return (bits[i] & mantMask) ? "nan"
               : (bits[i] & 0x8000) ? "-inf"
                                    : "inf";
  }
  return nullptr;
}

void reportAnomaly(const std::vector<NodePtr> &targets, size_t bad,
                   const char *what, std::source_location loc) {
  std::string header = fmt::format(
      "ember: anomaly detection: the graph realised at {} produced {} in its "
      "result {} (ember.{}, shape {})",
      formatLocation(loc), what, bad, opName(targets[bad]->kind),
      shapeString(targets[bad]->shape));
  diagnosing = true;
  struct Reset {
    ~Reset() { diagnosing = false; }
  } reset;
  std::unordered_map<Node *, NodePtr> alone;
  for (Node *node : topologicalOrder(targets)) {
    auto copy = std::make_shared<Node>(*node);
    copy->requiresGrad = false;
    copy->grad = nullptr;
    for (NodePtr &in : copy->inputs)
      if (auto it = alone.find(in.get()); it != alone.end())
        in = it->second;
    ember::fe::realize({copy}, loc);
    if (copy->data) {
      if (const char *v =
              firstNonFinite(copy->data->data(), copy->dtype, copy->numel()))
        throw Error(fmt::format(
            "{}; the first op to produce a non-finite value ({}) is ember.{} "
            "recorded at {}, result shape {}, from finite inputs",
            header, v, opName(node->kind), formatLocation(node->location),
            shapeString(node->shape)));
    }
    alone.emplace(node, std::move(copy));
  }
  throw Error(header + "; every op computed alone gave finite values (the "
                       "fused code rounds differently)");
}

} // namespace ember::fe

void ember::set_detect_anomaly(bool enabled) {
  fe::anomalyDetection().store(enabled);
}

bool ember::is_anomaly_enabled() { return fe::anomalyDetection().load(); }
