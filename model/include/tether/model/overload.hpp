#pragma once
// Overload{lambdas...}: one visitor out of several lambdas, for std::visit over
// the reducers' variants. Written once for every reducer, judge and printer.

namespace tether::model {

template <class... F>
struct Overload : F... {
  using F::operator()...;
};
template <class... F>
Overload(F...) -> Overload<F...>;  // clang 16 does not deduce aggregates' bases yet

}  // namespace tether::model
