// `traverse plan --proposer anthropic|openai|replay:DIR` end to end, as a planner runs it, against the
// project's model server: plan -> validate -> export with a model, a replay that reproduces the plan
// with no network, clear one-line errors, and a planted API key that appears in no file or output.
#include "support/model_server.hpp"
#include "support/test_support.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <fstream>
#include <sstream>

using namespace traverse;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

constexpr const char* kPlanted = "sk-ant-api03-PLANTED-cli-key-5f3a9c";

std::string slurpFile(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

json routeOf(const fs::path& plan) { return json::parse(slurpFile(plan))["route"]["segments"]; }

// 60 m due east on benign ground of the sample site (the model server heads straight for the goal).
const std::vector<std::string> kLine = {"--start", "2420,1093720,90", "--goal", "2480,1093720"};

std::vector<std::string> planArgs(const std::string& proposer, const fs::path& out, std::vector<std::string> more) {
    std::vector<std::string> a = {"plan", "--dtm", (test::sampleDir() / "sample_dtm.tif").string(), "--ortho",
                                  (test::sampleDir() / "sample_ortho.tif").string(), "--proposer", proposer};
    a.insert(a.end(), kLine.begin(), kLine.end());
    a.insert(a.end(), more.begin(), more.end());
    a.push_back("--out");
    a.push_back(out.string());
    return a;
}

}  // namespace

TEST_CASE("plan, validate and export with a model over HTTP; the key is nowhere; a replay reproduces the plan") {
    test::TempDir dir;
    traverse::testing::ModelServerOptions so;
    so.apiKey = kPlanted;
    traverse::testing::ModelServer server(so);
    ::setenv("ANTHROPIC_API_KEY", kPlanted, 1);
    std::string output;  // everything the runs printed

    const fs::path plan = dir / "plan.json", transcripts = dir / "transcripts";
    auto r = test::runCli(planArgs("anthropic", plan,
                                   {"--endpoint", server.baseUrl(), "--model", "test-model", "--view-size", "512",
                                    "--transcripts", transcripts.string()}));
    output += r.out + r.err;
    INFO(r.out << r.err);
    REQUIRE(r.status == 0);
    CHECK(r.out.find("goal reached") != std::string::npos);
    CHECK(server.requestCount() >= 2);
    const std::string planText = slurpFile(plan);
    CHECK(planText.find("\"source\": \"anthropic:test-model\"") != std::string::npos);
    CHECK(planText.find(transcripts.string() + "/0001") != std::string::npos);

    r = test::runCli({"validate", plan.string()});
    output += r.out + r.err;
    REQUIRE(r.status == 0);
    r = test::runCli({"export", plan.string(), "--out", (dir / "export").string()});
    output += r.out + r.err;
    REQUIRE(r.status == 0);
    CHECK(fs::exists(dir / "export" / "plan.seq.json"));

    // The recorded session, replayed with no network: the same route, segment for segment.
    const std::size_t asked = server.requestCount();
    const fs::path replayed = dir / "replayed.json";
    r = test::runCli(planArgs("replay:" + transcripts.string(), replayed, {}));
    output += r.out + r.err;
    INFO(r.out << r.err);
    REQUIRE(r.status == 0);
    CHECK(server.requestCount() == asked);
    const json a = routeOf(plan), b = routeOf(replayed);
    REQUIRE(a.size() == b.size());
    for (std::size_t i = 0; i < a.size(); ++i) CHECK(a[i]["to"] == b[i]["to"]);
    CHECK(slurpFile(replayed).find("\"source\": \"replay:" + transcripts.string()) != std::string::npos);

    // Nowhere: not in any file the runs wrote, not in anything they printed.
    for (const auto& f : test::listFiles(dir.path())) {
        INFO(f);
        CHECK(slurpFile(dir / f).find(kPlanted) == std::string::npos);
    }
    CHECK(output.find(kPlanted) == std::string::npos);
    ::unsetenv("ANTHROPIC_API_KEY");
}

TEST_CASE("model errors on the command line: one line that says what to fix, no key, no plan") {
    test::TempDir dir;
    traverse::testing::ModelServer server;  // expects another key than the one given
    ::setenv("OPENAI_API_KEY", kPlanted, 1);
    const fs::path plan = dir / "plan.json";
    auto r = test::runCli(planArgs("openai", plan, {"--quiet", "--endpoint", server.baseUrl() + "/v1"}));
    INFO(r.err);
    CHECK(r.status == 1);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    CHECK(r.err.find("HTTP 401") != std::string::npos);
    CHECK(r.err.find("OPENAI_API_KEY") != std::string::npos);
    CHECK(r.err.find(kPlanted) == std::string::npos);
    CHECK_FALSE(fs::exists(plan));
    CHECK(server.requestCount() == 1);  // a refused key is not retried
    ::unsetenv("OPENAI_API_KEY");

    // No key at all for Anthropic: said before anything is sent.
    ::unsetenv("ANTHROPIC_API_KEY");
    ::setenv("TRAVERSE_SETTINGS", (dir / "none.json").c_str(), 1);
    r = test::runCli(planArgs("anthropic", plan, {"--quiet", "--endpoint", server.baseUrl()}));
    ::unsetenv("TRAVERSE_SETTINGS");
    CHECK(r.status == 1);
    CHECK(r.err.find("ANTHROPIC_API_KEY") != std::string::npos);
    CHECK(server.requestCount() == 1);

    // Nothing listening: retried, then reported by host.
    std::string dead;
    {
        traverse::testing::ModelServer gone;
        dead = gone.baseUrl();
    }
    ::setenv("OPENAI_API_KEY", "k", 1);
    r = test::runCli(planArgs("openai", plan, {"--quiet", "--endpoint", dead, "--attempts", "2"}));
    ::unsetenv("OPENAI_API_KEY");
    CHECK(r.status == 1);
    CHECK(r.err.find("127.0.0.1") != std::string::npos);
    CHECK_FALSE(fs::exists(plan));

    // A replay folder that holds no transcript.
    r = test::runCli(planArgs("replay:" + (dir / "nothing").string(), plan, {"--quiet"}));
    CHECK(r.status == 1);
    CHECK(r.err.find("index.json") != std::string::npos);
    // Options that do not apply, and bad values.
    r = test::runCli(planArgs("anthropic", plan, {"--ask", "sideways"}));
    CHECK(r.status == 2);
    r = test::runCli(planArgs("openai", plan, {"--endpoint", "ftp://example"}));
    CHECK(r.status == 2);
}
