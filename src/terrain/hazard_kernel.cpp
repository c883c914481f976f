// The baseline build of the hazard kernel, and the choice between builds.
#define TRAVERSE_KERNEL_NS baseline
#define TRAVERSE_KERNEL_ENTRY runHazardKernelBaseline
#include "terrain/detail/hazard_kernel_impl.hpp"

#include <cstdlib>
#include <cstring>

namespace traverse::terrain::detail {

void runHazardKernel(const Kernel& kernel, int rBegin, int rEnd, KernelStats& stats) {
#if defined(__x86_64__) && defined(TRAVERSE_HAVE_AVX2_KERNEL)
    // TRAVERSE_HAZARD_KERNEL=baseline forces the baseline build (tests, benchmarks).
    static const bool avx2 = __builtin_cpu_supports("avx2");
    const char* force = std::getenv("TRAVERSE_HAZARD_KERNEL");
    if (avx2 && !(force && std::strcmp(force, "baseline") == 0))
        return runHazardKernelAvx2(kernel, rBegin, rEnd, stats);
#endif
    runHazardKernelBaseline(kernel, rBegin, rEnd, stats);
}

}  // namespace traverse::terrain::detail
