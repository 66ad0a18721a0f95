//===- Recompiles.cpp - Why a graph compiles ------------------------------===//
//
// Part of Ember.
//
//===----------------------------------------------------------------------===//

#include "Recompiles.h"

#include "ember/frontend/Tensor.h"

#include <fmt/format.h>

#include <cstdlib>
#include <mutex>
#include <sstream>

namespace ember::fe {
namespace {

/// The lines of `text`.
std::vector<std::string> lines(const std::string &text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    out.push_back(line);
  return out;
}

/// The argument types of the graph's function, in order.
std::vector<std::string> argumentTypes(const std::string &text) {
  std::vector<std::string> types;
  size_t start = text.find("func.func @graph(");
  if (start == std::string::npos)
    return types;
  size_t end = text.find(')', start);
  for (size_t at = text.find("%arg", start); at < end;
       at = text.find("%arg", at + 1)) {
    size_t colon = text.find(": ", at);
    size_t stop = text.find_first_of(",)", colon);
    types.push_back(text.substr(colon + 2, stop - colon - 2));
  }
  return types;
}

/// `text` without its types: the ops, their operands and attributes (two
/// graphs with the same skeleton differ only in shapes or dtypes).
std::string skeleton(const std::string &text) {
  std::string out;
  for (const std::string &line : lines(text)) {
    if (line.find("func.func @graph(") != std::string::npos) {
      out += fmt::format("func {} args\n", argumentTypes(text).size());
      continue;
    }
    size_t types = line.find(" : ");
    out += line.substr(0, types);
    out += '\n';
  }
  return out;
}

/// The first line where the ops of `a` and `b` differ (by their
/// skeletons, which have a line for each line of the text), shown whole.
std::string firstDifference(const std::string &a, const std::string &aBones,
                            const std::string &b, const std::string &bBones) {
  std::vector<std::string> la = lines(a), lb = lines(b);
  std::vector<std::string> sa = lines(aBones), sb = lines(bBones);
  // (The function's line differs with the number of inputs: the first op
  // that differs says more.)
  size_t i = 0;
  while (i < sa.size() && i < sb.size() &&
         (sa[i] == sb[i] || sa[i].starts_with("func ")))
    ++i;
  auto shown = [](const std::vector<std::string> &text, size_t i) {
    if (i >= text.size())
      return std::string("(end)");
    std::string s = text[i];
    size_t first = s.find_first_not_of(' ');
    s = first == std::string::npos ? "" : s.substr(first);
    return s.size() > 160 ? s.substr(0, 157) + "..." : s;
  };
  return fmt::format("line {}: `{}`, cached `{}`", i + 1, shown(la, i),
                     shown(lb, i));
}

struct LogTopics {
  std::mutex mutex;
  std::string topics;
  LogTopics() {
    if (const char *env = std::getenv("EMBER_LOG"))
      topics = env;
  }
};

LogTopics &logTopics() {
  static LogTopics instance;
  return instance;
}

} // namespace

bool logging(const char *topic) {
  LogTopics &t = logTopics();
  std::lock_guard<std::mutex> lock(t.mutex);
  std::istringstream in(t.topics);
  for (std::string item; std::getline(in, item, ',');)
    if (item == topic || item == "all")
      return true;
  return false;
}

CompileHistory::Explanation
CompileHistory::record(const std::string &text, const std::string &target,
                       const std::function<std::string(size_t)> &describe) {
  Explanation e{Kind::NewOps, seen_.size() + 1, ""};
  std::string bones = skeleton(text);
  const Seen *sameOps = nullptr, *sameText = nullptr;
  for (const Seen &s : seen_) {
    if (s.text == text)
      sameText = &s;
    else if (s.skeleton == bones && !sameOps)
      sameOps = &s;
  }
  if (sameText) {
    e.kind = Kind::NewTarget;
    e.reason = fmt::format("graph {} again, for {} (it was compiled for {})",
                           sameText->id, target, sameText->target);
  } else if (sameOps) {
    e.kind = Kind::NewShapes;
    std::vector<std::string> now = argumentTypes(text),
                             before = argumentTypes(sameOps->text);
    std::vector<std::string> differences;
    for (size_t i = 0; i < now.size() && i < before.size(); ++i)
      if (now[i] != before[i])
        differences.push_back(
            fmt::format("{} is {}, cached {}", describe(i), now[i], before[i]));
    e.reason =
        fmt::format("the ops of graph {} with other inputs: ", sameOps->id);
    for (size_t i = 0; i < differences.size() && i < 4; ++i)
      e.reason += (i ? "; " : "") + differences[i];
    if (differences.size() > 4)
      e.reason += fmt::format("; and {} more", differences.size() - 4);
    if (differences.empty()) // (the shapes differ inside, not at inputs)
      e.reason += "the inputs are the same; " +
                  firstDifference(text, text, sameOps->text, sameOps->text);
  } else if (seen_.empty()) {
    e.reason = "the first graph";
  } else {
    // The nearest: the longest run of equal lines from the start.
    const Seen *nearest = &seen_.front();
    size_t best = 0;
    std::vector<std::string> mine = lines(bones);
    for (const Seen &s : seen_) {
      std::vector<std::string> theirs = lines(s.skeleton);
      size_t same = 0;
      while (same < mine.size() && same < theirs.size() &&
             mine[same] == theirs[same])
        ++same;
      if (same >= best) { // (the latest of equals)
        best = same;
        nearest = &s;
      }
    }
    size_t inputs = argumentTypes(text).size();
    size_t theirs = argumentTypes(nearest->text).size();
    e.reason = fmt::format(
        "new ops; the nearest cached graph, {}{}, differs "
        "at {}",
        nearest->id,
        inputs == theirs ? std::string()
                         : fmt::format(" ({} inputs, {} here)", theirs, inputs),
        firstDifference(text, bones, nearest->text, nearest->skeleton));
  }
  seen_.push_back({e.id, text, target, std::move(bones)});
  return e;
}

} // namespace ember::fe

void ember::set_log(const std::string &topics) {
  fe::LogTopics &t = fe::logTopics();
  std::lock_guard<std::mutex> lock(t.mutex);
  t.topics = topics;
}
