//===- Anomaly.h - NaN and infinity in results ------------------*- C++ -*-===//
//
// Part of Ember. Internal to the frontend.
//
//===----------------------------------------------------------------------===//

#ifndef EMBER_FRONTEND_LIB_ANOMALY_H
#define EMBER_FRONTEND_LIB_ANOMALY_H

#include "ember/frontend/Graph.h"

#include <cstdint>
#include <source_location>
#include <vector>

namespace ember::fe {

/// Whether results are to be scanned: set_detect_anomaly (or
/// EMBER_DETECT_ANOMALY) is on, and this thread is not already diagnosing.
bool anomalyChecksOn();

/// "nan", "inf" or "-inf" for the first non-finite element of a float
/// buffer, or nullptr when every element is finite (or it holds no floats).
const char *firstNonFinite(const void *data, DType dtype, int64_t n);

/// The graph of `targets` produced `what` in target `bad`: recompute it one
/// op at a time, in recording order, and throw an Error naming the first op
/// whose value is not finite although its inputs are.
[[noreturn]] void reportAnomaly(const std::vector<NodePtr> &targets, size_t bad,
                                const char *what, std::source_location loc);

} // namespace ember::fe

#endif // EMBER_FRONTEND_LIB_ANOMALY_H
