#include "vlm/transcript.hpp"

#include "terrain/atomic_file.hpp"
#include "terrain/error.hpp"
#include "vlm/provider.hpp"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>
#include <sstream>

namespace traverse::vlm {

namespace {

using nlohmann::json;

json poseJson(const twin::Pose& p) { return {{"e", p.e}, {"n", p.n}, {"heading_deg", p.headingDeg}}; }

std::string extensionFor(const EncodedImage& img) { return img.mediaType == "image/jpeg" ? ".jpg" : ".png"; }

}  // namespace

TranscriptWriter::TranscriptWriter(std::filesystem::path dir, SessionInfo session)
    : dir_(std::move(dir)), session_(std::move(session)) {
    std::error_code ec;
    if (std::filesystem::exists(dir_ / "index.json", ec))
        throw Error(Error::Kind::InvalidArgument,
                    dir_.string() + ": already holds a transcript (index.json); choose an empty folder");
    std::filesystem::create_directories(dir_, ec);
    if (ec) throw Error(Error::Kind::Io, dir_.string() + ": cannot create the transcript folder (" + ec.message() + ")");
    addProposal({});  // an index with no proposals yet: the folder is a transcript from the start
    proposals_.clear();
}

std::string TranscriptWriter::writeExchange(const ExchangeRecord& r, const std::string& secret) {
    char name[16];
    std::snprintf(name, sizeof name, "%04d", next_++);
    const auto folder = dir_ / name;
    std::error_code ec;
    std::filesystem::create_directories(folder, ec);
    if (ec) throw Error(Error::Kind::Io, folder.string() + ": cannot create folder (" + ec.message() + ")");
    std::string request = r.requestBody;
    json images = json::array();
    for (const auto& img : r.images) {
        const std::string file = img.name + extensionFor(img);
        writeFileAtomically(folder / file, img.bytes);
        images.push_back({{"file", file}, {"media_type", img.mediaType}, {"width", img.width}, {"height", img.height},
                          {"bytes", img.bytes.size()}});
        // The request repeats the image in base64; the transcript keeps the file once.
        const std::string b64 = base64Encode(img.bytes);
        for (std::size_t p = request.find(b64); p != std::string::npos; p = request.find(b64, p))
            request.replace(p, b64.size(), "@file:" + file);
    }
    writeFileAtomically(folder / "prompt.txt", redact(r.prompt, secret));
    if (!request.empty()) writeFileAtomically(folder / "request.json", redact(request, secret));
    if (!r.responseBody.empty()) writeFileAtomically(folder / "response.json", redact(r.responseBody, secret));
    json ex = {{"step", r.step},
               {"attempt", r.attempt},
               {"answer", r.answer},
               {"pose", poseJson(r.pose)},
               {"mode", r.mode},
               {"provider", session_.provider},
               {"model", session_.model},
               {"endpoint", session_.endpoint},
               {"images", images},
               {"status", r.status},
               {"attempts", r.attemptsJson.empty() ? json::array() : json::parse(r.attemptsJson)},
               {"seconds", r.seconds},
               {"response_format_fallback", r.usedFallback},
               {"speculative", r.speculative},
               {"discarded", r.discarded},
               {"outcome", redact(r.outcome, secret)},
               {"usage", {{"input_tokens", r.inputTokens}, {"output_tokens", r.outputTokens}}}};
    if (!r.parsedJson.empty()) ex["parsed"] = json::parse(r.parsedJson);
    writeFileAtomically(folder / "exchange.json", redact(ex.dump(2), secret) + "\n");
    return name;
}

void TranscriptWriter::addProposal(const ProposalRecord& p) {
    if (p.exchanges.size() || p.waypoints.size() || !p.error.empty() || !p.note.empty()) proposals_.push_back(p);
    json props = json::array();
    for (const auto& q : proposals_) {
        json wps = json::array();
        for (const auto& w : q.waypoints) wps.push_back({w.e, w.n});
        json j = {{"step", q.step}, {"attempt", q.attempt}, {"pose", poseJson(q.pose)}, {"exchanges", q.exchanges},
                  {"waypoints", wps}, {"note", q.note}};
        if (!q.error.empty()) j["error"] = q.error;
        props.push_back(std::move(j));
    }
    const json index = {{"format", "traverse-vlm-transcript"},
                        {"version", 1},
                        {"session",
                         {{"source", session_.source},
                          {"provider", session_.provider},
                          {"model", session_.model},
                          {"endpoint", session_.endpoint},
                          {"mode", session_.mode},
                          {"system", session_.system}}},
                        {"proposals", props}};
    writeFileAtomically(dir_ / "index.json", index.dump(2) + "\n");
}

Transcript readTranscript(const std::filesystem::path& dir) {
    const auto path = dir / "index.json";
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(Error::Kind::NotFound, path.string() + ": no transcript here (index.json not found)");
    std::stringstream ss;
    ss << in.rdbuf();
    const json j = json::parse(ss.str(), nullptr, false);
    auto bad = [&](const std::string& why) { return Error(Error::Kind::Format, path.string() + ": " + why); };
    if (j.is_discarded() || !j.is_object()) throw bad("not JSON");
    if (j.value("format", "") != "traverse-vlm-transcript") throw bad("not a Traverse transcript index");
    if (j.value("version", 0) != 1) throw bad("unsupported transcript version");
    Transcript t;
    try {
        const json& s = j.at("session");
        t.session = {s.at("source"), s.at("provider"), s.at("model"), s.at("endpoint"), s.at("mode"), s.value("system", "")};
        int i = 0;
        for (const json& p : j.at("proposals")) {
            ProposalRecord r;
            r.step = p.at("step");
            r.attempt = p.at("attempt");
            r.pose = {p.at("pose").at("e"), p.at("pose").at("n"), p.at("pose").at("heading_deg")};
            r.exchanges = p.at("exchanges").get<std::vector<std::string>>();
            for (const json& w : p.at("waypoints")) {
                const double e = w.at(0), n = w.at(1);
                if (!std::isfinite(e) || !std::isfinite(n)) throw bad("proposal " + std::to_string(i) + ": not finite");
                r.waypoints.push_back({e, n});
            }
            r.note = p.value("note", "");
            r.error = p.value("error", "");
            t.proposals.push_back(std::move(r));
            ++i;
        }
    } catch (const nlohmann::json::exception& e) {
        throw bad(std::string("malformed (") + e.what() + ")");
    }
    return t;
}

}  // namespace traverse::vlm
