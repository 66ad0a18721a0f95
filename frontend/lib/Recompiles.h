//===- Recompiles.h - Why a graph compiles ----------------------*- C++ -*-===//
//
// Part of Ember. Internal to the frontend. Each graph the compiled-graph
// cache did not hold is compared with those it met before, to say why it
// compiles: the first graph of its ops, the ops of an earlier graph with
// other input shapes or dtypes (naming the inputs that differ), or an
// earlier graph for another device or CPU target. EMBER_LOG=recompiles
// (or set_log) prints that for every compilation; cache_stats() counts the
// kinds.
//
//===----------------------------------------------------------------------===//

#ifndef EMBER_FRONTEND_LIB_RECOMPILES_H
#define EMBER_FRONTEND_LIB_RECOMPILES_H

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace ember::fe {

class CompileHistory {
public:
  enum class Kind { NewOps, NewShapes, NewTarget };
  struct Explanation {
    Kind kind;
    size_t id;          ///< the new graph's number, from 1
    std::string reason; ///< one or more lines, for the log
  };
  /// Records graph `text` compiled for `target` ("cpu", "cpu haswell",
  /// "cuda:0 with tf32") and explains it against the graphs before.
  /// `describeInput(i)` names argument i ("input 0 (made at f.cpp:12)").
  Explanation record(const std::string &text, const std::string &target,
                     const std::function<std::string(size_t)> &describeInput);

private:
  struct Seen {
    size_t id;
    std::string text, target, skeleton;
  };
  std::vector<Seen> seen_;
};

/// Whether EMBER_LOG (or set_log) names `topic` ("recompiles").
bool logging(const char *topic);

} // namespace ember::fe

#endif // EMBER_FRONTEND_LIB_RECOMPILES_H
