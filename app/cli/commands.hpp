#pragma once
// The `traverse` subcommands. Each returns the process exit status; errors are thrown
// (traverse::Error, UsageError) and turned into one line by main().
namespace traverse::cli {

int runInfo(int argc, char** argv);     // traverse info FILE...
int runHazards(int argc, char** argv);  // traverse hazards --dtm F [--ortho F] --out DIR
int runSimulate(int argc, char** argv); // traverse simulate --dtm F --sequence S --out DIR
int runPlan(int argc, char** argv);     // traverse plan --dtm F --start E,N --goal E,N --out PLAN.json
int runValidate(int argc, char** argv); // traverse validate PLAN.json
int runExport(int argc, char** argv);   // traverse export PLAN.json --out DIR
int runReplay(int argc, char** argv);   // traverse replay LOG [--plan PLAN.json] --summary
int runScore(int argc, char** argv);    // traverse score SCENARIO.json PLAN.json

}  // namespace traverse::cli
