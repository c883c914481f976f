#pragma once
// A dense row-major grid of values: the unit of raster data handed around by terrain.
#include <cstddef>
#include <vector>

namespace traverse::terrain {

template <class T>
struct Grid {
    int cols = 0;
    int rows = 0;
    std::vector<T> values;  // rows * cols, row-major

    Grid() = default;
    Grid(int c, int r, T fill = T{}) : cols(c), rows(r), values(std::size_t(c) * std::size_t(r), fill) {}
    T& at(int col, int row) { return values[std::size_t(row) * std::size_t(cols) + std::size_t(col)]; }
    const T& at(int col, int row) const { return values[std::size_t(row) * std::size_t(cols) + std::size_t(col)]; }
    T* row(int r) { return values.data() + std::size_t(r) * std::size_t(cols); }
    const T* row(int r) const { return values.data() + std::size_t(r) * std::size_t(cols); }
};

}  // namespace traverse::terrain
