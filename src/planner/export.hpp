#pragma once
// Export of a validated route for uplink and review (docs/export.md): the command sequence as SeqJSON
// (NASA-AMMOS seq-json-schema 1.3.1) with the twin's predicted state at the end of each command in the
// step's `models`, a human-readable listing, the route, waypoints and zones as GeoJSON (the DTM's map
// CRS) and KML (lon/lat on the DTM's body), and a `sha256sum -c`-compatible checksum file.
// Export is refused unless the plan's stored validation report passes and still matches the terrain
// files on disk, the plan and the rover it was computed for.
#include "planner/plan.hpp"
#include "planner/validation.hpp"
#include "twin/sequence.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace traverse::planner {

// What an export writes besides the plan: the validation recomputed now, and naming.
struct ExportInputs {
    // validateRoute run now on the plan's terrain (the caller's job: the same area and options as
    // the stored report). Its sequence is what gets exported and its simulation's telemetry gives the
    // predicted states; it must pass and hold for the same hashes as the plan's stored report.
    const ValidationOutcome& current;
    // Base name of the files (letters, digits, '.', '-', '_'); empty: the plan's name, with other
    // characters replaced by '_' ("route" when that leaves nothing).
    std::string name;
    // The DTM's CRS as WKT (terrain::RasterInfo::crsWkt); empty: read from the plan's DTM file.
    std::string crsWkt;
};

struct ExportResult {
    std::filesystem::path folder;              // the output folder
    std::vector<std::filesystem::path> files;  // written, in this order: .seq.json, .txt, .geojson,
                                               // .kml, checksums.sha256
};

// Why the plan may not be exported, or nothing: it has no validation report, the report does not
// pass, the terrain, plan or rover changed since (hashes), or a site file on disk no longer has its
// recorded hash. Reads and hashes the site files.
std::optional<std::string> exportRefusal(const Plan& plan);

// Writes the export of `plan` into `outDir` (created when missing): the files are written into a
// temporary folder inside `outDir`, flushed to disk, then renamed into place, checksums.sha256 last;
// files of the same names are replaced, other files are left alone. Throws Error
// (InvalidArgument) with the reason — and writes nothing — when exportRefusal says no, when the
// recomputed validation does not pass or was computed for other hashes, or when the name is not
// usable; Georeference when the DTM's CRS cannot be used; Io (naming the file) when writing fails,
// leaving `outDir` without the temporary folder.
ExportResult exportPlan(const Plan& plan, const ExportInputs& inputs, const std::filesystem::path& outDir);

// The file name stem `exportPlan` uses for a requested name (empty: the plan's name).
std::string exportName(const Plan& plan, const std::string& requested = {});

// Reads a SeqJSON file written by exportPlan back into a sequence: the header from the metadata, one
// command per step (stem and named arguments by the command dictionary). Checks the checksum in
// metadata.checksum when there is one. Throws Error naming the file: NotFound, Io, Format (malformed
// JSON, a checksum that does not match, a step that is not a known command, an argument missing, of
// the wrong type or out of range, named by its step index).
twin::Sequence readSeqJson(const std::filesystem::path& path);
// Same, from text; `source` names it in errors.
twin::Sequence seqJsonToSequence(const std::string& json, const std::string& source);

// The SHA-256 of a JSON text's canonical form (RFC 8785, JSON Canonicalization Scheme) after removing
// the member at `removePath` (e.g. "/metadata/checksum", empty: nothing): how the checksums inside
// the SeqJSON and GeoJSON files are computed. Throws Error (Format) for malformed JSON.
std::string canonicalJsonSha256(const std::string& json, const std::string& removePath);

}  // namespace traverse::planner
