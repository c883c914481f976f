#pragma once
// The built-in proposer, the offline default: a global plan over the traversability cost grid (hard
// hazards and keep-outs excluded, the footprint accounted for), cut into segments of at most
// maxSegmentM, handed out a few at a time. When the checker refuses its proposal it replans with a
// wider berth around hazards.
#include "planner/proposer.hpp"

namespace traverse::planner {

class BuiltinProposer : public Proposer {
public:
    struct Options {
        int segmentsPerProposal = 5;  // how many segments one proposal hands out
        double costWeight = 10.0;     // see GridPlanRequest
        double extraMarginM = 0.5;    // added to the rover's half-diagonal for the footprint
    };
    BuiltinProposer() = default;
    explicit BuiltinProposer(Options options) : options_(options) {}
    std::string source() const override { return "builtin"; }
    Proposal propose(const ProposalContext& context) override;

private:
    Options options_;
    std::vector<terrain::MapPoint> cached_;  // the remaining planned waypoints
    terrain::MapPoint cachedGoal_{};
};

}  // namespace traverse::planner
