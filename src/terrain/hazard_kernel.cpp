// The baseline build of the hazard kernel, and the choice between builds.
#define TRAVERSE_KERNEL_NS baseline
#define TRAVERSE_KERNEL_ENTRY runHazardKernelBaseline
#include "terrain/detail/hazard_kernel_impl.hpp"

#include <cstdlib>
#include <cstring>
#include <string_view>

namespace traverse::terrain::detail {

void runHazardKernel(const Kernel& kernel, int rBegin, int rEnd, KernelStats& stats) {
#if defined(__x86_64__) && defined(TRAVERSE_HAVE_AVX2_KERNEL)
    // TRAVERSE_HAZARD_KERNEL=baseline or =avx2 forces that build (tests, benchmarks).
    static const bool avx2 = __builtin_cpu_supports("avx2");
    static const bool avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                               __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
    const char* force = std::getenv("TRAVERSE_HAZARD_KERNEL");
    const std::string_view forced = force ? force : "";
    if (avx512 && forced.empty()) return runHazardKernelAvx512(kernel, rBegin, rEnd, stats);
    if (avx2 && forced != "baseline") return runHazardKernelAvx2(kernel, rBegin, rEnd, stats);
#endif
    runHazardKernelBaseline(kernel, rBegin, rEnd, stats);
}

}  // namespace traverse::terrain::detail
