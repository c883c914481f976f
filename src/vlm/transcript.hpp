#pragma once
// Transcripts: every exchange with a model recorded in a folder — the images sent, the prompt, the
// request and the raw response (with the images referenced by file instead of repeated in base64),
// the parsed result, timing, provider and model; never a key — and an index of the proposals they
// led to, from which a replay reproduces the session with no network.
//
//   DIR/index.json              session (provider, model, endpoint, mode) and proposals in order
//   DIR/0001/terrain.png ...    the images of the exchange
//   DIR/0001/prompt.txt         the step's text
//   DIR/0001/request.json       the request body as sent, images replaced by "@file:terrain.png"
//   DIR/0001/response.json      the response body as received
//   DIR/0001/exchange.json      status, attempts, timing, the parsed answer or why it was refused
#include "terrain/geometry.hpp"
#include "twin/sequence.hpp"
#include "vlm/view_renderer.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace traverse::vlm {

struct SessionInfo {
    std::string source;     // "anthropic:<model>"
    std::string provider;
    std::string model;
    std::string endpoint;
    std::string mode;       // "coordinates" or "candidates"
    std::string system;     // the system prompt
};

struct ExchangeRecord {
    int step = 0;
    int attempt = 1;                   // the loop's attempt for this step
    int answer = 1;                    // which answer within the proposal (re-asks after unusable ones)
    twin::Pose pose;
    std::string mode;
    std::vector<EncodedImage> images;
    std::string prompt;
    std::string requestBody;
    int status = 0;
    std::string responseBody;
    std::string attemptsJson;          // JSON array: status / error / seconds / wait per HTTP attempt
    double seconds = 0.0;
    bool usedFallback = false;
    bool speculative = false;          // asked ahead of the loop (overlap)
    bool discarded = false;            // a speculative answer never used
    std::string outcome;               // "accepted", "unusable: <reason>", "error: <message>"
    std::string parsedJson;            // the parsed answer (JSON) when usable
    int inputTokens = 0;
    int outputTokens = 0;
};

struct ProposalRecord {
    int step = 0;
    int attempt = 1;
    twin::Pose pose;
    std::vector<std::string> exchanges;        // folder names
    std::vector<terrain::MapPoint> waypoints;  // what the proposer returned
    std::string note;
    std::string error;                         // the proposer threw this (Network) instead
};

class TranscriptWriter {
public:
    // Creates `dir` (and parents). Refuses a folder that already holds a transcript (index.json).
    TranscriptWriter(std::filesystem::path dir, SessionInfo session);
    const std::filesystem::path& dir() const { return dir_; }
    // Writes one exchange's folder and returns its name ("0001", ...). Every file is written
    // atomically; `secret` is redacted from every text written.
    std::string writeExchange(const ExchangeRecord& record, const std::string& secret);
    // Appends a proposal and rewrites index.json atomically.
    void addProposal(const ProposalRecord& record);

private:
    std::filesystem::path dir_;
    SessionInfo session_;
    std::vector<ProposalRecord> proposals_;
    int next_ = 1;
};

struct Transcript {
    SessionInfo session;
    std::vector<ProposalRecord> proposals;
};

// Reads DIR/index.json. Throws Error (NotFound, Format) naming the file and the field.
Transcript readTranscript(const std::filesystem::path& dir);

}  // namespace traverse::vlm
