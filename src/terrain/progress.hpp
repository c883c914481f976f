#pragma once
// Progress reporting for long jobs: a callback that receives the fraction done (0..1) and a
// short description of the current stage. Jobs also take a std::stop_token for cancellation.
#include <functional>
#include <string_view>

namespace traverse {

using ProgressFn = std::function<void(double fraction, std::string_view stage)>;

}  // namespace traverse
