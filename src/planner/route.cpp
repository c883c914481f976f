#include "planner/route.hpp"

#include <cmath>

namespace traverse::planner {

double Route::lengthM() const {
    double len = 0.0;
    terrain::MapPoint p{start.e, start.n};
    for (const auto& s : segments) {
        len += std::hypot(s.to.e - p.e, s.to.n - p.n);
        p = s.to;
    }
    return len;
}

std::vector<terrain::MapPoint> Route::points() const {
    std::vector<terrain::MapPoint> out{{start.e, start.n}};
    for (const auto& s : segments) out.push_back(s.to);
    return out;
}

}  // namespace traverse::planner
