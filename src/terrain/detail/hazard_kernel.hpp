#pragma once
// The hazard kernel: one fused pass computing every hazard layer for a range of rows. Internal to the
// terrain module. It is built twice, for baseline x86-64 and for AVX2, and runHazardKernel picks the
// build the CPU can run.
#include "terrain/hazard_maps.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>

namespace traverse::terrain::detail {

// Counts over the cells a kernel run produced.
struct KernelStats {
    std::int64_t valid = 0, unknown = 0, hazard = 0;
    float maxSlope = 0.0f;
    void add(const KernelStats& o) {
        valid += o.valid;
        unknown += o.unknown;
        hazard += o.hazard;
        maxSlope = std::max(maxSlope, o.maxSlope);
    }
};

// What one fused pass over the output rows of a block works on. Input rows [inRow0, inRow0 + inRows)
// are in memory; rows outside the DTM count as nodata. Outputs are indexed from outRow0.
struct Kernel {
    const float* in = nullptr;
    int inRow0 = 0, inRows = 0;
    int cols = 0, totalRows = 0;
    float noData = 0.0f;
    bool hasNoData = false;
    double zRef = 0.0;  // subtracted before the plane fits, for precision
    float invEw = 1.0f, invNs = 1.0f;
    HazardWindows win;
    HazardLimits limits;

    int outRow0 = 0;
    float *slope = nullptr, *roughness = nullptr, *step = nullptr, *cost = nullptr;
    std::uint8_t *unknown = nullptr, *hazard = nullptr;

    const float* inRow(int j) const { return in + std::ptrdiff_t(j - inRow0) * cols; }
    bool isInvalid(float v) const { return std::isnan(v) || (hasNoData && v == noData); }
};

// Computes output rows [rBegin, rEnd) (all columns) into the kernel's outputs.
void runHazardKernel(const Kernel& kernel, int rBegin, int rEnd, KernelStats& stats);

// The builds (hazard_kernel.cpp, hazard_kernel_avx2.cpp, hazard_kernel_avx512.cpp).
void runHazardKernelBaseline(const Kernel& kernel, int rBegin, int rEnd, KernelStats& stats);
void runHazardKernelAvx2(const Kernel& kernel, int rBegin, int rEnd, KernelStats& stats);
void runHazardKernelAvx512(const Kernel& kernel, int rBegin, int rEnd, KernelStats& stats);

}  // namespace traverse::terrain::detail
