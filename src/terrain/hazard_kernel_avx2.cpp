// The AVX2 build of the hazard kernel (chosen at run time when the CPU has AVX2). Same code as the
// baseline, twice as wide. No FMA, so that both builds round alike.
#include "terrain/detail/hazard_kernel.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#pragma GCC push_options
#pragma GCC target("avx2")
#define TRAVERSE_KERNEL_NS avx2
#define TRAVERSE_KERNEL_ENTRY runHazardKernelAvx2
#include "terrain/detail/hazard_kernel_impl.hpp"
#pragma GCC pop_options
