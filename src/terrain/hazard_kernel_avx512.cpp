// The AVX-512 build of the hazard kernel (chosen at run time when the CPU has AVX-512 F/BW/DQ/VL).
// Same code as the baseline, with 512-bit vectors. No FMA contraction, so all builds round alike.
#include "terrain/detail/hazard_kernel.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512dq,avx512vl,prefer-vector-width=512")
#define TRAVERSE_KERNEL_NS avx512
#define TRAVERSE_KERNEL_ENTRY runHazardKernelAvx512
#include "terrain/detail/hazard_kernel_impl.hpp"
#pragma GCC pop_options
