#pragma once
// The VLM proposer and its replay: peers of the built-in proposer behind planner::Proposer.
//
// VlmProposer renders the two views around the rover, asks the model (coordinates or numbered
// candidates), parses the answer strictly and, when it cannot be used, tells the model why and asks
// again (a bounded number of times). The segment checker's refusals reach the model through the
// loop's ProposalContext::rejections. With `overlap`, the request for the next step is sent while
// the loop checks the current answer, from where that answer would leave the rover; it is used only
// if the loop accepts every waypoint, and recorded as discarded otherwise. Every exchange goes into
// the transcript folder when one is given.
//
// ReplayProposer returns the proposals of a recorded transcript in order, with no network, and
// refuses to go on as soon as the loop asks from a pose the recording did not.
#include "planner/proposer.hpp"
#include "terrain/raster.hpp"
#include "vlm/answer.hpp"
#include "vlm/provider.hpp"
#include "vlm/transcript.hpp"
#include "vlm/view_renderer.hpp"

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace traverse::vlm {

struct VlmOptions {
    AskMode mode = AskMode::Coordinates;
    int waypointsPerRequest = 3;     // coordinates mode: at most this many waypoints per answer
    int answerRetries = 2;           // re-asks after an unusable answer, per proposal
    int candidateCount = 16;         // candidates mode: bearings tried
    double candidateStepFraction = 0.95;  // candidates at this fraction of the maximum segment length
    ViewOptions view;
    std::optional<std::filesystem::path> transcripts;
    bool overlap = false;            // ask for the next step while the loop checks this one
    std::function<void(const std::string&)> log;  // one line per retry or fallback (no secrets)
};

class VlmProposer : public planner::Proposer {
public:
    // `dtm` and `ortho` (may be null) are borrowed. Throws Error for a transcript folder that cannot
    // be created or already holds a transcript, or options out of range.
    VlmProposer(const terrain::Raster& dtm, const terrain::Raster* ortho, ProviderConfig provider, VlmOptions options);
    ~VlmProposer() override;
    std::string source() const override;
    planner::Proposal propose(const planner::ProposalContext& context) override;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

class ReplayProposer : public planner::Proposer {
public:
    // Throws Error (NotFound, Format) when DIR holds no readable transcript.
    explicit ReplayProposer(std::filesystem::path dir);
    std::string source() const override { return source_; }
    const SessionInfo& session() const { return transcript_.session; }
    // Throws Error (InvalidArgument) when the loop's pose differs from the recorded one or the
    // recording has run out; Error (Network) where the recorded session failed that way.
    planner::Proposal propose(const planner::ProposalContext& context) override;

private:
    std::filesystem::path dir_;
    Transcript transcript_;
    std::string source_;
    std::size_t next_ = 0;
};

}  // namespace traverse::vlm
