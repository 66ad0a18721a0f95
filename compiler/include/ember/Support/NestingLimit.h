//===- NestingLimit.h - Reject text IR nested too deeply --------*- C++ -*-===//
//
// Part of Ember. MLIR's text parser recurses once per nesting level of
// brackets, types and regions: 200,000 nested `[` in an attribute, 100,000
// `tuple<` or 100,000 nested regions overflow the stack. Ember's graphs nest
// a few levels deep (a dense constant of rank 8 is 9), so graphc, ember-opt
// and compile() reject text deeper than kMaxTextNesting with a diagnostic
// naming the line, before the parser sees it. One pass over the bytes.
//
//===----------------------------------------------------------------------===//

#ifndef EMBER_SUPPORT_NESTINGLIMIT_H
#define EMBER_SUPPORT_NESTINGLIMIT_H

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace ember {

/// Far above any graph's nesting, far below what overflows a thread's
/// stack in MLIR's parser.
constexpr size_t kMaxTextNesting = 256;

/// Where text IR nests too deeply, and the message to give.
struct NestingError {
  size_t line = 0, column = 0;
  std::string message;
};

/// Where text IR first nests deeper than `limit` levels of (), [], {} and
/// <> (string literals and // comments aside); nullopt when it does not.
inline std::optional<NestingError>
textNestingError(std::string_view text, size_t limit = kMaxTextNesting) {
  size_t depth = 0, line = 1, column = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    ++column;
    char next = i + 1 < text.size() ? text[i + 1] : '\0';
    switch (c) {
    case '\n':
      ++line;
      column = 0;
      break;
    case '"': // a string literal, with backslash escapes
      for (++i; i < text.size() && text[i] != '"'; ++i) {
        if (text[i] == '\\')
          ++i;
        else if (text[i] == '\n')
          ++line, column = 0;
      }
      break;
    case '/':
      if (next == '/')
        while (i + 1 < text.size() && text[i + 1] != '\n')
          ++i;
      break;
    case '-': // `->` is an arrow, not a closing bracket
      if (next == '>')
        ++i, ++column;
      break;
    case '(':
    case '[':
    case '{':
    case '<':
      if (c == '<' && next == '=') // `<=` in an integer set
        break;
      if (++depth > limit)
        return NestingError{
            line, column,
            "the input nests deeper than " + std::to_string(limit) +
                " levels of brackets, types or regions (Ember's limit, "
                "which keeps the parser's recursion off the end of the "
                "stack)"};
      break;
    case ')':
    case ']':
    case '}':
    case '>':
      if (c == '>' && next == '=') // `>=` in an integer set
        break;
      if (depth > 0)
        --depth;
      break;
    default:
      break;
    }
  }
  return std::nullopt;
}

} // namespace ember

#endif // EMBER_SUPPORT_NESTINGLIMIT_H
