#pragma once
// The map's layers and their colour scales, shared by the tiles that draw them and the legends that
// explain them. Colours follow the VLM hazard view (src/vlm/view_renderer.cpp), so that a planner
// reads the map and the model's view the same way: green -> yellow -> orange -> red up to the rover's
// limit, red beyond it, magenta for hard hazards (a step or roughness the rover must not meet), dark
// blue for unknown terrain (no data, or too close to it).
#include "terrain/hazard_maps.hpp"

#include <QColor>
#include <QString>

#include <array>
#include <vector>

namespace traverse::studio {

// Bottom to top, in the order the map draws them.
enum class MapLayer { Orthoimage, Hillshade, Slope, Roughness, Step, Cost, HazardMask };
inline constexpr std::array<MapLayer, 7> kMapLayers = {MapLayer::Orthoimage, MapLayer::Hillshade, MapLayer::Slope,
                                                      MapLayer::Roughness,  MapLayer::Step,      MapLayer::Cost,
                                                      MapLayer::HazardMask};
inline constexpr int kMapLayerCount = int(kMapLayers.size());

// "Orthoimage", "Slope", "Hazard mask", ...
QString layerTitle(MapLayer layer);
bool isHazardLayer(MapLayer layer);

// Fixed colours of the hazard scales.
inline constexpr QRgb kTooSteepColour = 0xffd70000u;  // beyond the limit
inline constexpr QRgb kHardHazardColour = 0xffff00ffu;
inline constexpr QRgb kUnknownColour = 0xff081646u;

// The ramp of the hazard scales at t = value / limit (clamped to 0..1): green, yellow, orange, red.
QRgb rampColour(double t);

// A legend: a colour bar over [0, barMax] with labelled ticks, then category swatches.
struct Legend {
    QString title;  // with the unit: "Slope (°)"
    struct Stop {
        double at = 0.0;  // 0..1 along the bar
        QColor colour;
    };
    std::vector<Stop> bar;  // empty: no bar
    struct Tick {
        double at = 0.0;  // 0..1 along the bar
        QString label;
    };
    std::vector<Tick> ticks;
    struct Swatch {
        QColor colour;
        QString label;
    };
    std::vector<Swatch> swatches;
    QString note;  // one line under it
};

Legend legendFor(MapLayer layer, const terrain::HazardLimits& limits);

}  // namespace traverse::studio
