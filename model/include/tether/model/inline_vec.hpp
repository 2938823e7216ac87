#pragma once
// A fixed-capacity vector stored inline: effects are returned in one of these so
// the streaming hot path never touches the heap.

#include <cassert>
#include <cstddef>
#include <new>
#include <span>
#include <type_traits>
#include <utility>

namespace tether::model {

template <typename T, std::size_t Capacity>
class InlineVec {
  // Nothing to destroy, so clear and overwrite need no bookkeeping. Elements
  // are copied one by one (not memcpy'd): a cursor copies only its token's
  // bytes in use, not its whole 1 KiB buffer.
  static_assert(std::is_trivially_destructible_v<T>, "InlineVec holds plain values only");

 public:
  static constexpr std::size_t capacity = Capacity;

  // User-provided, so value-initialisation does not zero the storage: an empty
  // vec costs one word. Copies move only the live elements.
  InlineVec() noexcept {}  // NOLINT(modernize-use-equals-default)
  InlineVec(const InlineVec& other) noexcept(std::is_nothrow_copy_constructible_v<T>) {
    copy_from(other);
  }
  InlineVec& operator=(const InlineVec& other) noexcept(std::is_nothrow_copy_constructible_v<T>) {
    if (this != &other) copy_from(other);
    return *this;
  }
  ~InlineVec() = default;

  // Overflow is a programmer error: every transition's worst case is sized below
  // capacity (see the static_assert next to Effects). Release builds drop the
  // extra element rather than write out of bounds.
  // Constructs in place, so pushing one alternative of a variant writes only
  // that alternative's bytes.
  template <class U>
  void push_back(U&& value) {
    assert(size_ < Capacity && "InlineVec overflow: raise the capacity");
    if (size_ < Capacity) ::new (static_cast<void*>(slot(size_++))) T(std::forward<U>(value));
  }

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const T& operator[](std::size_t i) const { return *std::launder(slot_const(i)); }
  const T* begin() const { return std::launder(slot_const(0)); }
  const T* end() const { return begin() + size_; }
  std::span<const T> span() const { return {begin(), size_}; }

 private:
  void copy_from(const InlineVec& other) {
    for (std::size_t i = 0; i < other.size_; ++i) ::new (static_cast<void*>(slot(i))) T(other[i]);
    size_ = other.size_;
  }
  T* slot(std::size_t i) { return reinterpret_cast<T*>(storage_) + i; }
  const T* slot_const(std::size_t i) const { return reinterpret_cast<const T*>(storage_) + i; }

  alignas(T) std::byte storage_[sizeof(T) * Capacity];
  std::size_t size_ = 0;
};

}  // namespace tether::model
