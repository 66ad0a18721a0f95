//===- Error.h - The frontend's exception type ------------------*- C++ -*-===//
//
// Part of Ember. Every failure a user can cause surfaces as ember::Error (as
// LibTorch does with c10::Error), with a message that names the op, the
// shapes and the user's source line.
//
//===----------------------------------------------------------------------===//

#ifndef EMBER_FRONTEND_ERROR_H
#define EMBER_FRONTEND_ERROR_H

#include <source_location>
#include <stdexcept>
#include <string>

namespace ember {

/// The one exception type of Ember's user-facing API.
class Error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

namespace fe {
/// Renders `loc` as `file:line`, with the file name shortened to its last two
/// path components.
std::string formatLocation(const std::source_location &loc);
} // namespace fe

} // namespace ember

#endif // EMBER_FRONTEND_ERROR_H
