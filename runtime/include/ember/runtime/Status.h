//===- Status.h - Error values of the runtime -------------------*- C++ -*-===//
//
// Part of Ember. The runtime reports failures as values (as IREE's runtime
// does); the frontend turns them into ember::Error.
//
//===----------------------------------------------------------------------===//

#ifndef EMBER_RUNTIME_STATUS_H
#define EMBER_RUNTIME_STATUS_H

#include <optional>
#include <string>
#include <utility>

namespace ember::rt {

/// Success, or a failure with a human-readable message.
class [[nodiscard]] Status {
public:
  static Status ok() { return Status(); }
  static Status error(std::string message) { return Status(std::move(message)); }

  bool isOk() const { return !message_; }
  explicit operator bool() const { return isOk(); }
  const std::string &message() const {
    static const std::string empty;
    return message_ ? *message_ : empty;
  }

private:
  Status() = default;
  explicit Status(std::string m) : message_(std::move(m)) {}
  std::optional<std::string> message_;
};

/// A value, or the Status that explains why there is none.
template <typename T> class [[nodiscard]] StatusOr {
public:
  StatusOr(T value) : value_(std::move(value)), status_(Status::ok()) {}
  StatusOr(Status status) : status_(std::move(status)) {}

  bool isOk() const { return value_.has_value(); }
  explicit operator bool() const { return isOk(); }
  const Status &status() const { return status_; }
  T &operator*() { return *value_; }
  T *operator->() { return &*value_; }

private:
  std::optional<T> value_;
  Status status_;
};

} // namespace ember::rt

#endif // EMBER_RUNTIME_STATUS_H
