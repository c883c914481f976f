#pragma once
// The global planner of the built-in proposer: a 16-connected A* over the hazard maps' cost grid, with
// hard hazards and keep-out zones excluded and the rover's footprint (a disc of roverRadiusM) kept
// clear of them, then line-of-sight smoothing into a few straight legs. By default the A* is guided by
// a cost-to-go computed on a 4x coarser grid first (GridSearch::Guided); bench/bench_planner.cpp
// measures it against Boost Graph Library's astar_search on the same graph.
//
// Frames and units: requests and results are in the map frame (metres); the grid is the hazard maps'
// own (cell (c, r) has its centre at pixel (c + 0.5, r + 0.5), see terrain/geometry.hpp).
//
// What "clear" means, for every leg of a returned path (the A* moves and the smoothed legs alike):
//  * every cell the leg passes through (a corner it passes through counts for the cells around it) is
//    free: its centre is at least roverRadiusM from the centre of every hard-hazard cell, and it lies
//    inside every keep-in zone and outside every keep-out zone with roverRadiusM plus half a cell's
//    diagonal to spare;
//  * every point of the leg is at least roverRadiusM from the centre of every hard-hazard cell.
// A hard-hazard cell is one with hazard != 0 (which includes unknown terrain), unknown != 0, or a cost
// that is not a finite number. The edge of the grid is not inflated: real hazard maps already mark a
// border of unknown terrain (HazardParams::unknownBufferM).
#include "terrain/geometry.hpp"
#include "terrain/grid.hpp"
#include "terrain/hazard_maps.hpp"
#include "terrain/progress.hpp"
#include "twin/flight_rules.hpp"

#include <array>
#include <cstdint>
#include <stop_token>
#include <string>
#include <vector>

namespace traverse::planner {

// How the search is steered. Both search the same graph (GridGraph) with the same edge costs.
enum class GridSearch {
    // A* whose heuristic is a cost-to-go computed first on a grid of 4 x 4 blocks (a block's factor is
    // its cheapest straight crossing; blocks with under 4 free cells are blocked), interpolated.
    // Expands a tenth or less of what Optimal does. Not guaranteed optimal: measured at most ~0.15 %
    // above the optimum before smoothing, and below it after (bench/bench_planner.cpp --check).
    Guided,
    // A* with an admissible, consistent heuristic: optimal on the graph (up to float rounding).
    Optimal,
};

struct GridPlanRequest {
    terrain::MapPoint start, goal;     // map frame, metres
    double roverRadiusM = 1.5;         // the footprint: cells within this distance of a hard hazard are not
                                       // entered (exactly: see "clear" above)
    double costWeight = 10.0;          // traversal cost of a cell = length * (1 + costWeight * cost)
    std::vector<twin::Zone> keepOuts;  // polygons the footprint must not enter (keep-in zones: the route must
                                       // stay inside every one of them, as the twin's flight rule requires)
    std::stop_token stop;              // cancellation -> Error(Cancelled)
    ProgressFn progress;               // optional: fraction done and the stage
    GridSearch search = GridSearch::Guided;
};

struct GridPlanResult {
    bool found = false;
    std::string reason;                   // when not found: why (start/goal blocked, no path, ...)
    std::vector<terrain::MapPoint> path;  // start ... goal, smoothed (few vertices), map frame
    double costOfPath = 0.0;              // costOfPolyline(path) with the request's costWeight
    double searchCost = 0.0;              // the same measure, of the search's cell path before smoothing
    double lengthM = 0.0;
    std::size_t expanded = 0;             // nodes expanded
};

// Plans over the hazard maps' cost grid. Pure function; thread-safe. Searches the 16-connected graph
// described by GridGraph (see GridSearch); smoothing only ever lowers the cost. A start or goal that
// is blocked, or a goal out of reach, is a result (found = false and the reason), not an error.
// Throws traverse::Error: InvalidArgument for a non-finite start or goal, a negative or non-finite
// radius or weight, layers of different sizes, or a zone with fewer than 3 vertices; Georeference for
// a geotransform whose pixel axes are not orthogonal; Cancelled when `stop` is triggered.
GridPlanResult planOnGrid(const terrain::HazardMaps& maps, const GridPlanRequest& request);

// Cuts a polyline into pieces of at most maxSegmentM (evenly along each leg), keeping its vertices
// (a vertex repeating the previous one is dropped). Throws Error (InvalidArgument) when maxSegmentM is
// not finite and positive.
std::vector<terrain::MapPoint> cutIntoSegments(const std::vector<terrain::MapPoint>& path, double maxSegmentM);

// The planners' common cost measure: the integral along the polyline (map frame) of
// 1 + costWeight * cost, with the cost grid taken as constant over each cell (exact, not sampled:
// the length inside each cell times its factor). Parts outside the grid, and cells whose cost is not
// finite, count with cost 1. Use it to compare paths from different planners. Throws as planOnGrid
// does for unusable maps.
double costOfPolyline(const terrain::HazardMaps& maps, const std::vector<terrain::MapPoint>& path,
                      double costWeight);

// Length of a polyline in metres.
double polylineLength(const std::vector<terrain::MapPoint>& path);

// Obstacle inflation: 1 where the cell's centre is closer than radiusM (strictly) to the centre of a
// nonzero cell of `blocked`, or is such a cell; 0 elsewhere. Exact Euclidean distances over cells of
// pixelWidthM x pixelHeightM metres.
terrain::Grid<std::uint8_t> inflateObstacles(const terrain::Grid<std::uint8_t>& blocked, double pixelWidthM,
                                             double pixelHeightM, double radiusM);

// The 16 moves of the search graph in cells (column, row): the 8 neighbours, then the 8 knight moves.
struct GridMove {
    int dc = 0, dr = 0;
};
inline constexpr int kGridMoveCount = 16;
inline constexpr std::array<GridMove, kGridMoveCount> kGridMoves{{{1, 0},  {1, 1},   {0, 1},  {-1, 1},
                                                                  {-1, 0}, {-1, -1}, {0, -1}, {1, -1},
                                                                  {2, 1},  {1, 2},   {-1, 2}, {-2, 1},
                                                                  {-2, -1}, {-1, -2}, {1, -2}, {2, -1}}};

// The graph planOnGrid searches, made explicit for reference solvers (bench/bench_planner.cpp) and
// tests. Node of cell (c, r) = r * cols + c. Move k from node u is an edge when bit k of moves[u] is
// set: the move's leg is clear (see the top of this file).
struct GridGraph {
    int cols = 0, rows = 0;
    double pixelWidthM = 1.0, pixelHeightM = 1.0;
    std::vector<std::uint16_t> moves;  // per node
    std::vector<float> factor;         // per node: 1 + costWeight * cost
    float minFactor = 1.0f;            // smallest factor of a free cell (the heuristic's scale)
    std::array<float, kGridMoveCount> moveLengthM{};

    std::int32_t node(int c, int r) const { return r * cols + c; }
    // Cost of move k from node u: its length times the mean factor of the cells it crosses (the two
    // end cells; for a knight move also the two cells in between, a quarter of the length in each),
    // which is costOfPolyline of the leg between the cell centres. Computed exactly as planOnGrid does.
    float edgeCost(std::int32_t u, int k) const;
    // An admissible and consistent lower bound of the cost from u to v (the 16-connected distance, or
    // the Euclidean one for non-square cells, times minFactor).
    float heuristic(std::int32_t u, std::int32_t v) const;
};
// Throws as planOnGrid does (start and goal are not used).
GridGraph buildGridGraph(const terrain::HazardMaps& maps, const GridPlanRequest& request);

}  // namespace traverse::planner
