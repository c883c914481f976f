#include "vlm/view_renderer.hpp"

#include "terrain/error.hpp"

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <future>
#include <limits>
#include <memory>
#include <numbers>
#include <optional>
#include <string>
#include <vector>

namespace traverse::vlm {

namespace {

using terrain::MapPoint;

constexpr double kDegToRad = std::numbers::pi / 180.0;

// ---- Palette (BGR) ----------------------------------------------------------------------------
// Overlays are told apart by contrast (white/black) and by hues the backgrounds never take: the
// terrain view is grey, and the hazard view's slope scale runs green-yellow-orange-red.
const cv::Scalar kNoDataGrey(60, 60, 60);
const cv::Scalar kBlack(0, 0, 0);
const cv::Scalar kWhite(255, 255, 255);
const cv::Scalar kBoxBg(25, 25, 25);
const cv::Scalar kRoute(255, 255, 0);      // cyan
const cv::Scalar kGoal(0, 255, 0);         // pure green: never produced by either background
const cv::Scalar kKeepOut(0, 0, 255);
const cv::Scalar kKeepIn(255, 170, 0);     // azure
const cv::Scalar kCandidate(0, 230, 255);  // yellow
const cv::Scalar kHardHazard(255, 0, 255); // magenta
const cv::Scalar kTooSteep(0, 0, 215);     // red
const cv::Scalar kUnknownBase(70, 22, 8);  // very dark blue
const cv::Scalar kUnknownHatch(200, 120, 45);

// Classes of the hazard view, one byte per cell; a larger value wins when cells are pooled.
constexpr int kSlopeBins = 200;            // 0..200: slope 0..max tilt
constexpr std::uint8_t kClassTooSteep = 201;
constexpr std::uint8_t kClassHard = 253;
constexpr std::uint8_t kClassUnknown = 254;

// Shade factor of the hazard view: colour * (kShadeFloor + (1 - kShadeFloor) * hillshade).
constexpr double kShadeFloor = 0.45;
// Hillshade of the terrain view (no orthoimage): grey = 30 + 225 * hillshade, then stretched.
constexpr double kGreyFloor = 30.0;

// ---- Geometry of a view -------------------------------------------------------------------------

// The output raster: `size` pixels on a side over a square `extentM` on a side centred on the rover,
// north up. Pixel centres are at integer coordinates (OpenCV's convention for drawing and warping).
struct ViewGeometry {
    MapPoint centre;
    double extentM = 0.0;
    int size = 0;
    double mpp = 0.0;  // metres per pixel

    double left() const { return centre.e - 0.5 * extentM; }
    double top() const { return centre.n + 0.5 * extentM; }
    cv::Point2d toPx(MapPoint p) const { return {(p.e - left()) / mpp - 0.5, (top() - p.n) / mpp - 0.5}; }
    cv::Point2d localToPx(LocalPoint p) const { return toPx({centre.e + p.east, centre.n + p.north}); }
    MapPoint toMap(double x, double y) const { return {left() + (x + 0.5) * mpp, top() - (y + 0.5) * mpp}; }
};

// A window of a raster level that covers the view, and the affine map from output pixels to the
// window's pixels (centres at integer coordinates), for cv::warpAffine with WARP_INVERSE_MAP.
struct SourceWindow {
    terrain::PixelWindow window;
    cv::Matx23d outToSrc;
};

std::optional<SourceWindow> sourceWindow(const ViewGeometry& g, const terrain::GeoTransform& gt, int cols, int rows,
                                         int margin) {
    double c0 = std::numeric_limits<double>::infinity(), r0 = c0, c1 = -c0, r1 = -c0;
    const double lo = -0.5, hi = g.size - 0.5;
    for (const auto& [x, y] : {std::pair{lo, lo}, {hi, lo}, {lo, hi}, {hi, hi}}) {
        const terrain::PixelPoint p = gt.toPixel(g.toMap(x, y));
        c0 = std::min(c0, p.col), c1 = std::max(c1, p.col);
        r0 = std::min(r0, p.row), r1 = std::max(r1, p.row);
    }
    const double big = 1e9;  // keeps the casts defined for absurd inputs
    const int wc0 = std::max(0, int(std::floor(std::clamp(c0, -big, big))) - margin);
    const int wr0 = std::max(0, int(std::floor(std::clamp(r0, -big, big))) - margin);
    const int wc1 = std::min(cols, int(std::ceil(std::clamp(c1, -big, big))) + margin);
    const int wr1 = std::min(rows, int(std::ceil(std::clamp(r1, -big, big))) + margin);
    if (wc1 <= wc0 || wr1 <= wr0) return std::nullopt;
    SourceWindow s;
    s.window = {wc0, wr0, wc1 - wc0, wr1 - wr0};
    auto f = [&](double x, double y) {
        const terrain::PixelPoint p = gt.toPixel(g.toMap(x, y));
        return cv::Point2d(p.col - 0.5 - wc0, p.row - 0.5 - wr0);
    };
    const cv::Point2d o = f(0, 0), dx = f(1, 0) - o, dy = f(0, 1) - o;
    s.outToSrc = cv::Matx23d(dx.x, dy.x, o.x, dx.y, dy.y, o.y);
    return s;
}

// The coarsest level whose pixels are no larger than the view's: a bilinear resample from it
// neither loses detail nor reads more than ~4x the output's pixels.
int chooseLevel(const terrain::Raster& r, double mpp) {
    int best = 0;
    for (int l = 1; l < r.levelCount(); ++l)
        if (r.levelGeoTransform(l).pixelWidth() <= mpp * 1.0001) best = l;
    return best;
}

// ---- Resampling ------------------------------------------------------------------------------------
// North-up rasters map to the view by an axis-aligned affine (scale and offset per axis): then the
// resampling is separable, which is several times cheaper than cv::warpAffine and exact. Anything
// else (a rotated geotransform) goes through cv::warpAffine.

struct AxisMap {
    double scale = 1.0, offset = 0.0;  // source = scale * output + offset (pixel centres)
};

std::optional<std::pair<AxisMap, AxisMap>> axisAligned(const cv::Matx23d& m) {
    const double tol = 1e-12 * (std::abs(m(0, 0)) + std::abs(m(1, 1)));
    if (std::abs(m(0, 1)) > tol || std::abs(m(1, 0)) > tol || m(0, 0) == 0.0 || m(1, 1) == 0.0) return std::nullopt;
    return std::pair{AxisMap{m(0, 0), m(0, 2)}, AxisMap{m(1, 1), m(1, 2)}};
}

// Nearest source index of each output position, -1 outside the source.
std::vector<int> nearestIndex(const AxisMap& a, int outSize, int srcSize) {
    std::vector<int> idx(std::size_t(outSize), -1);
    for (int i = 0; i < outSize; ++i) {
        const double u = std::floor(a.scale * i + a.offset + 0.5);
        if (u >= 0.0 && u < srcSize) idx[std::size_t(i)] = int(u);
    }
    return idx;
}

// Nearest-neighbour resampling of an 8-bit image; `border` outside the source.
cv::Mat resampleNearest(const cv::Mat& src, const cv::Matx23d& m, cv::Size size, std::uint8_t border) {
    cv::Mat dst;
    const auto aa = axisAligned(m);
    if (!aa) {
        cv::warpAffine(src, dst, cv::Mat(m), size, cv::INTER_NEAREST | cv::WARP_INVERSE_MAP, cv::BORDER_CONSTANT,
                       cv::Scalar(border));
        return dst;
    }
    dst.create(size, CV_8U);
    const std::vector<int> xs = nearestIndex(aa->first, size.width, src.cols);
    const std::vector<int> ys = nearestIndex(aa->second, size.height, src.rows);
    for (int y = 0; y < size.height; ++y) {
        std::uint8_t* o = dst.ptr<std::uint8_t>(y);
        if (y > 0 && ys[std::size_t(y)] == ys[std::size_t(y) - 1]) {
            std::memcpy(o, dst.ptr<std::uint8_t>(y - 1), std::size_t(size.width));
        } else if (ys[std::size_t(y)] < 0) {
            std::memset(o, border, std::size_t(size.width));
        } else {
            const std::uint8_t* s = src.ptr<std::uint8_t>(ys[std::size_t(y)]);
            for (int x = 0; x < size.width; ++x) o[x] = xs[std::size_t(x)] >= 0 ? s[xs[std::size_t(x)]] : border;
        }
    }
    return dst;
}

// Bilinear resampling of an 8-bit one-channel image, replicating the border.
cv::Mat resampleLinear(const cv::Mat& src, const cv::Matx23d& m, cv::Size size) {
    cv::Mat dst;
    const auto aa = axisAligned(m);
    if (!aa) {
        cv::warpAffine(src, dst, cv::Mat(m), size, cv::INTER_LINEAR | cv::WARP_INVERSE_MAP, cv::BORDER_REPLICATE);
        return dst;
    }
    // Two source positions and an 8-bit weight per output position, clamped to the source.
    struct Tap {
        int i0, i1;
        std::uint32_t w;  // 0..256, weight of i1
    };
    auto taps = [](const AxisMap& a, int outSize, int srcSize) {
        std::vector<Tap> t(static_cast<std::size_t>(outSize));
        for (int i = 0; i < outSize; ++i) {
            const double u = std::clamp(a.scale * i + a.offset, 0.0, double(srcSize - 1));
            const int i0 = std::min(int(u), srcSize - 1);
            t[std::size_t(i)] = {i0, std::min(i0 + 1, srcSize - 1), std::uint32_t(std::lround((u - i0) * 256.0))};
        }
        return t;
    };
    const std::vector<Tap> tx = taps(aa->first, size.width, src.cols);
    const std::vector<Tap> ty = taps(aa->second, size.height, src.rows);
    int r0 = src.rows, r1 = -1;
    for (const Tap& t : ty) r0 = std::min(r0, t.i0), r1 = std::max(r1, t.i1);
    // Horizontal pass over the source rows that are used, in 8.8 fixed point.
    const std::size_t w = std::size_t(size.width);
    std::vector<std::uint16_t> h(std::size_t(r1 - r0 + 1) * w);
    for (int r = r0; r <= r1; ++r) {
        const std::uint8_t* s = src.ptr<std::uint8_t>(r);
        std::uint16_t* o = h.data() + std::size_t(r - r0) * w;
        for (std::size_t x = 0; x < w; ++x) {
            const Tap& t = tx[x];
            o[x] = std::uint16_t(s[t.i0] * (256u - t.w) + s[t.i1] * t.w);
        }
    }
    dst.create(size, CV_8U);
    for (int y = 0; y < size.height; ++y) {
        const Tap& t = ty[std::size_t(y)];
        const std::uint16_t* a = h.data() + std::size_t(t.i0 - r0) * w;
        const std::uint16_t* b = h.data() + std::size_t(t.i1 - r0) * w;
        std::uint8_t* o = dst.ptr<std::uint8_t>(y);
        const std::uint32_t wb = t.w, wa = 256u - t.w;
        for (std::size_t x = 0; x < w; ++x) o[x] = std::uint8_t((a[x] * wa + b[x] * wb + 32768u) >> 16);
    }
    return dst;
}

// ---- Clipping -------------------------------------------------------------------------------------

// Sutherland-Hodgman against the square [lo, hi]^2, so that far-away vertices never reach the
// rasteriser's fixed-point arithmetic.
std::vector<cv::Point2d> clipPolygon(std::vector<cv::Point2d> poly, double lo, double hi) {
    for (int edge = 0; edge < 4 && !poly.empty(); ++edge) {
        auto inside = [&](const cv::Point2d& p) {
            switch (edge) {
                case 0: return p.x >= lo;
                case 1: return p.x <= hi;
                case 2: return p.y >= lo;
                default: return p.y <= hi;
            }
        };
        auto cross = [&](const cv::Point2d& a, const cv::Point2d& b) {
            const double bound = (edge % 2 == 0) ? lo : hi;
            const double t = (edge < 2) ? (bound - a.x) / (b.x - a.x) : (bound - a.y) / (b.y - a.y);
            return a + t * (b - a);
        };
        std::vector<cv::Point2d> out;
        for (std::size_t i = 0; i < poly.size(); ++i) {
            const cv::Point2d& a = poly[(i + poly.size() - 1) % poly.size()];
            const cv::Point2d& b = poly[i];
            if (inside(b)) {
                if (!inside(a)) out.push_back(cross(a, b));
                out.push_back(b);
            } else if (inside(a)) {
                out.push_back(cross(a, b));
            }
        }
        poly = std::move(out);
    }
    return poly;
}

// Liang-Barsky against [lo, hi]^2; false when the segment misses it.
bool clipSegment(cv::Point2d& a, cv::Point2d& b, double lo, double hi) {
    double t0 = 0.0, t1 = 1.0;
    const cv::Point2d d = b - a;
    const double p[4] = {-d.x, d.x, -d.y, d.y};
    const double q[4] = {a.x - lo, hi - a.x, a.y - lo, hi - a.y};
    for (int i = 0; i < 4; ++i) {
        if (p[i] == 0.0) {
            if (q[i] < 0.0) return false;
            continue;
        }
        const double t = q[i] / p[i];
        if (p[i] < 0.0) t0 = std::max(t0, t);
        else t1 = std::min(t1, t);
        if (t0 > t1) return false;
    }
    const cv::Point2d a0 = a;
    a = a0 + t0 * d;
    b = a0 + t1 * d;
    return true;
}

// ---- Drawing primitives -------------------------------------------------------------------------

constexpr int kShift = 4;  // sub-pixel bits for OpenCV's drawing functions
cv::Point fx(cv::Point2d p) { return {int(std::lround(p.x * (1 << kShift))), int(std::lround(p.y * (1 << kShift)))}; }
int fxLen(double v) { return int(std::lround(v * (1 << kShift))); }

void line(cv::Mat& img, cv::Point2d a, cv::Point2d b, const cv::Scalar& c, int thickness) {
    const double m = 4.0 * img.cols;
    if (!clipSegment(a, b, -m, m)) return;
    cv::line(img, fx(a), fx(b), c, std::max(1, thickness), cv::LINE_AA, kShift);
}

// A line with a dark casing, legible over any background.
void casedLine(cv::Mat& img, cv::Point2d a, cv::Point2d b, const cv::Scalar& c, int thickness, int casing) {
    line(img, a, b, kBlack, thickness + 2 * casing);
    line(img, a, b, c, thickness);
}

void disc(cv::Mat& img, cv::Point2d p, double r, const cv::Scalar& fill, const cv::Scalar& ring, int ringWidth) {
    cv::circle(img, fx(p), fxLen(r), ring, cv::FILLED, cv::LINE_AA, kShift);
    cv::circle(img, fx(p), fxLen(std::max(0.5, r - ringWidth)), fill, cv::FILLED, cv::LINE_AA, kShift);
}

void arrow(cv::Mat& img, cv::Point2d from, cv::Point2d to, const cv::Scalar& c, int thickness, double headPx) {
    const double len = cv::norm(to - from);
    if (len < 1.0) return;
    const cv::Point2d u = (to - from) / len, n(-u.y, u.x);
    const cv::Point2d base = to - u * headPx;
    line(img, from, base + u * 0.5, c, thickness);
    const cv::Point head[3] = {fx(to), fx(base + n * (headPx * 0.55)), fx(base - n * (headPx * 0.55))};
    cv::fillConvexPoly(img, head, 3, c, cv::LINE_AA, kShift);
}

void casedArrow(cv::Mat& img, cv::Point2d from, cv::Point2d to, const cv::Scalar& c, int thickness, double headPx,
                int casing) {
    const double len = cv::norm(to - from);
    if (len < 1.0) return;
    const cv::Point2d u = (to - from) / len;
    arrow(img, from - u * casing, to + u * (casing * 1.8), kBlack, thickness + 2 * casing, headPx + casing * 2.6);
    arrow(img, from, to, c, thickness, headPx);
}

void blendRect(cv::Mat& img, cv::Rect r, const cv::Scalar& c, double alpha) {
    r &= cv::Rect(0, 0, img.cols, img.rows);
    if (r.empty()) return;
    cv::Mat roi = img(r);
    cv::addWeighted(roi, 1.0 - alpha, cv::Mat(roi.size(), roi.type(), c), alpha, 0.0, roi);
}

// ---- Text (Hershey fonts have no degree sign: "°" is drawn as a small ring) ----------------------

constexpr int kFont = cv::FONT_HERSHEY_SIMPLEX;
const std::string kDeg = "\xC2\xB0";

struct TextStyle {
    double scale = 0.6;
    int thickness = 2;
};

struct TextMetrics {
    int width = 0, capHeight = 0, descent = 0;
};

std::vector<std::string> splitDegree(const std::string& s) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    for (std::size_t pos; (pos = s.find(kDeg, start)) != std::string::npos; start = pos + kDeg.size())
        parts.push_back(s.substr(start, pos - start));
    parts.push_back(s.substr(start));
    return parts;
}

int capHeight(TextStyle st) {
    int base = 0;
    return cv::getTextSize("N0", kFont, st.scale, st.thickness, &base).height;
}
double degreeRadius(TextStyle st) { return std::max(1.5, 0.17 * capHeight(st)); }

TextMetrics measure(const std::string& s, TextStyle st) {
    TextMetrics m;
    m.capHeight = capHeight(st);
    int base = 0;
    cv::getTextSize("g", kFont, st.scale, st.thickness, &base);
    m.descent = base;
    const auto parts = splitDegree(s);
    for (std::size_t i = 0; i < parts.size(); ++i) {
        if (!parts[i].empty()) m.width += cv::getTextSize(parts[i], kFont, st.scale, st.thickness, &base).width;
        if (i + 1 < parts.size()) m.width += int(std::ceil(2.0 * degreeRadius(st) + st.thickness + 2.0));
    }
    return m;
}

// Draws text with its baseline starting at `org`.
void putText(cv::Mat& img, const std::string& s, cv::Point org, TextStyle st, const cv::Scalar& c) {
    const auto parts = splitDegree(s);
    int x = org.x, base = 0;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        if (!parts[i].empty()) {
            cv::putText(img, parts[i], {x, org.y}, kFont, st.scale, c, st.thickness, cv::LINE_AA);
            x += cv::getTextSize(parts[i], kFont, st.scale, st.thickness, &base).width;
        }
        if (i + 1 < parts.size()) {
            const double r = degreeRadius(st);
            const cv::Point2d centre(x + 1.0 + r + 0.5 * st.thickness, org.y - capHeight(st) + r);
            cv::circle(img, fx(centre), fxLen(r), c, std::max(1, st.thickness - 1 + (r > 3 ? 1 : 0)), cv::LINE_AA,
                       kShift);
            x += int(std::ceil(2.0 * r + st.thickness + 2.0));
        }
    }
}

enum class Align { Start, Centre, End };

// The box of a label (text plus padding) anchored at a point.
cv::Rect labelBox(const std::string& s, TextStyle st, cv::Point anchor, Align ax, Align ay, int pad) {
    const TextMetrics m = measure(s, st);
    const int w = m.width + 2 * pad, h = m.capHeight + m.descent + 2 * pad;
    const int x = ax == Align::Start ? anchor.x : ax == Align::Centre ? anchor.x - w / 2 : anchor.x - w;
    const int y = ay == Align::Start ? anchor.y : ay == Align::Centre ? anchor.y - h / 2 : anchor.y - h;
    return {x, y, w, h};
}

void drawLabel(cv::Mat& img, const std::string& s, const cv::Rect& box, TextStyle st, const cv::Scalar& fg,
               const cv::Scalar& bg, double bgAlpha, int pad) {
    if (bgAlpha >= 1.0) cv::rectangle(img, box, bg, cv::FILLED);
    else if (bgAlpha > 0.0) blendRect(img, box, bg, bgAlpha);
    const TextMetrics m = measure(s, st);
    putText(img, s, {box.x + pad, box.y + pad + m.capHeight}, st, fg);
}

std::string format(const char* fmt, double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, fmt, v);
    return buf;
}

// Grid labels: "0", "+10", "-20", "+2.5".
std::string signedMetres(double v) {
    if (std::abs(v) < 1e-9) return "0";
    const bool whole = std::abs(v - std::round(v)) < 1e-6;
    return format(whole ? "%+.0f" : "%+.1f", v);
}

std::string metres(double v) {
    if (std::abs(v - std::round(v)) < 1e-6) return format("%.0f", v);
    return format("%g", v);
}

// ---- Layout ---------------------------------------------------------------------------------------

struct Style {
    double k = 1.0;  // size / 1024
    int pad = 6;
    TextStyle tick, title, caption, legend, marker, goal;
    int line = 2, casing = 1;
    bool decorations = true;  // caption and legends (off for tiny images)

    explicit Style(int size) {
        k = size / 1024.0;
        pad = std::max(2, int(std::lround(6 * k)));
        auto ts = [&](double scale, double thick) {
            return TextStyle{std::max(0.3, scale * k), std::max(1, int(std::lround(thick * k)))};
        };
        tick = ts(0.58, 1.6);
        title = ts(0.62, 2.0);
        caption = ts(0.62, 1.6);
        legend = ts(0.52, 1.4);
        marker = ts(0.62, 2.0);
        goal = ts(0.62, 1.6);
        line = std::max(1, int(std::lround(3 * k)));
        casing = std::max(1, int(std::lround(1.5 * k)));
        decorations = size >= 384;
    }
    int px(double v) const { return std::max(1, int(std::lround(v * k))); }
};

class Layout {
public:
    explicit Layout(cv::Size size) : bounds_(0, 0, size.width, size.height) {}
    bool fits(const cv::Rect& r) const {
        if ((r & bounds_) != r) return false;
        for (const auto& o : taken_)
            if ((r & o).area() > 0) return false;
        return true;
    }
    void take(const cv::Rect& r) { taken_.push_back(r); }

private:
    cv::Rect bounds_;
    std::vector<cv::Rect> taken_;
};

// ---- Backgrounds ---------------------------------------------------------------------------------

// Paints the pixels of the view that lie outside a raster's extent. Returns whether there were any.
bool paintOutside(cv::Mat& img, const ViewGeometry& g, const terrain::GeoTransform& gt, int cols, int rows) {
    std::vector<cv::Point2d> corners;
    for (const auto& [c, r] : {std::pair{0, 0}, {cols, 0}, {cols, rows}, {0, rows}})
        corners.push_back(g.toPx(gt.toMap({double(c), double(r)})));
    // Pixel centres inside the (convex) extent polygon are inside the raster.
    std::vector<cv::Point2f> contour(corners.begin(), corners.end());
    bool all = true;
    const float lo = 0.0f, hi = float(g.size - 1);
    for (const auto& p : {cv::Point2f{lo, lo}, {hi, lo}, {lo, hi}, {hi, hi}})
        all = all && cv::pointPolygonTest(contour, p, false) >= 0;
    if (all) return false;
    cv::Mat outside(img.size(), CV_8U, cv::Scalar(255));
    // The extent clipped near the image first: the rasteriser's fixed point stays small.
    const auto clipped = clipPolygon(corners, -2.0, g.size + 2.0);
    if (clipped.size() >= 3) {
        std::vector<cv::Point> poly;
        for (const auto& p : clipped) poly.push_back(fx(p));
        cv::fillConvexPoly(outside, poly, cv::Scalar(0), cv::LINE_8, kShift);
    }
    img.setTo(kNoDataGrey, outside);
    return true;
}

// A hillshade of the DTM over the view (azimuth 315 deg, altitude 45 deg), at the resolution of the
// DTM level that suits the view, one value per cell in [0, 1].
struct Hillshade {
    cv::Mat values;  // CV_32F
    cv::Mat noData;  // CV_8U, 255 where the DTM has no data
    cv::Matx23d outToSrc;
};

// Nodata cells: flat (the terrain view paints them no-data grey, the hazard view unknown terrain).
constexpr float kHillshadeNoData = 0.7071f;

std::optional<Hillshade> computeHillshade(const terrain::Raster& dtm, const ViewGeometry& g) {
    const int level = chooseLevel(dtm, g.mpp);
    const terrain::GeoTransform gt = dtm.levelGeoTransform(level);
    const terrain::OverviewInfo size = dtm.levelSize(level);
    const auto sw = sourceWindow(g, gt, size.cols, size.rows, 2);
    if (!sw) return std::nullopt;
    terrain::Grid<float> z = dtm.readWindow(sw->window, level);
    const auto& noData = dtm.info().noData;
    const float nan = std::numeric_limits<float>::quiet_NaN();
    for (float& v : z.values)
        if (terrain::isNoData(v, noData)) v = nan;

    const double az = 315.0 * kDegToRad, alt = 45.0 * kDegToRad;
    const double sunE = std::sin(az) * std::cos(alt), sunN = std::cos(az) * std::cos(alt), sunU = std::sin(alt);
    const double px = gt.pixelWidth(), py = gt.pixelHeight();
    const int cols = z.cols, rows = z.rows;
    Hillshade h;
    h.values.create(rows, cols, CV_32F);
    h.noData = cv::Mat(rows, cols, CV_8U, cv::Scalar(0));
    h.outToSrc = sw->outToSrc;
    std::vector<int> cm(cols), cp(cols);
    for (int c = 0; c < cols; ++c) cm[c] = std::max(c - 1, 0), cp[c] = std::min(c + 1, cols - 1);
    for (int r = 0; r < rows; ++r) {
        const float* up = z.row(std::max(r - 1, 0));
        const float* mid = z.row(r);
        const float* dn = z.row(std::min(r + 1, rows - 1));
        float* out = h.values.ptr<float>(r);
        for (int c = 0; c < cols; ++c) {
            const float z0 = mid[c];
            if (std::isnan(z0)) {
                out[c] = kHillshadeNoData;
                h.noData.at<std::uint8_t>(r, c) = 255;
                continue;
            }
            float a = up[cm[c]], b = up[c], cc = up[cp[c]], d = mid[cm[c]], f = mid[cp[c]], gg = dn[cm[c]],
                  hh = dn[c], i = dn[cp[c]];
            for (float* v : {&a, &b, &cc, &d, &f, &gg, &hh, &i})
                if (std::isnan(*v)) *v = z0;
            // Horn's gradient; rows grow southwards.
            const double dzdE = ((cc + 2.0 * f + i) - (a + 2.0 * d + gg)) / (8.0 * px);
            const double dzdS = ((gg + 2.0 * hh + i) - (a + 2.0 * b + cc)) / (8.0 * py);
            const double nE = -dzdE, nN = dzdS;
            const double s = (nE * sunE + nN * sunN + sunU) / std::sqrt(nE * nE + nN * nN + 1.0);
            out[c] = float(std::max(0.0, s));
        }
    }
    return h;
}

// A percentile stretch of an 8-bit image (1 % .. 99 % to 16 .. 240), at most 3x, for imagery whose
// contrast is low (HiRISE products are often stretched for display the same way). Pixels set in
// `ignore` neither count nor change.
void stretchContrast(cv::Mat& img, const cv::Mat& ignore = {}) {
    std::array<double, 256> hist{};
    for (int r = 0; r < img.rows; ++r) {
        const std::uint8_t* p = img.ptr<std::uint8_t>(r);
        const std::uint8_t* m = ignore.empty() ? nullptr : ignore.ptr<std::uint8_t>(r);
        for (int c = 0; c < img.cols * img.channels(); ++c)
            if (!m || !m[c / img.channels()]) ++hist[p[c]];
    }
    double n = 0.0;
    for (const double h : hist) n += h;
    if (n <= 0.0) return;
    int lo = 0, hi = 255;
    for (double acc = 0; lo < 255 && (acc += hist[std::size_t(lo)]) < 0.01 * n;) ++lo;
    for (double acc = 0; hi > 0 && (acc += hist[std::size_t(hi)]) < 0.01 * n;) --hi;
    if (hi - lo < 8) return;
    const double gain = std::min(3.0, 224.0 / (hi - lo));
    const double mid = 0.5 * (lo + hi);
    cv::Mat lut(1, 256, CV_8U);
    for (int v = 0; v < 256; ++v) lut.at<std::uint8_t>(v) = cv::saturate_cast<std::uint8_t>(128.0 + (v - mid) * gain);
    if (ignore.empty()) {
        cv::LUT(img, lut, img);
    } else {
        cv::Mat stretched;
        cv::LUT(img, lut, stretched);
        cv::Mat keep;
        cv::bitwise_not(ignore, keep);
        stretched.copyTo(img, keep);
    }
}

// The hillshade resampled to the view as 8-bit values a * hillshade + b; with `forDisplay`, stretched
// like imagery, nodata cells in the no-data grey.
cv::Mat warpHillshade(const Hillshade& h, const ViewGeometry& g, double a, double b, bool forDisplay) {
    cv::Mat u8;
    h.values.convertTo(u8, CV_8U, a, b);
    if (forDisplay) {
        stretchContrast(u8, h.noData);
        u8.setTo(kNoDataGrey, h.noData);
    }
    return resampleLinear(u8, h.outToSrc, {g.size, g.size});
}

// ---- Hazard colours ------------------------------------------------------------------------------

cv::Vec3b slopeColour(double t) {  // t = slope / max tilt in [0, 1]
    struct Stop {
        double t;
        double b, g, r;
    };
    static constexpr Stop stops[] = {
        {0.00, 60, 180, 40}, {0.50, 30, 220, 250}, {0.85, 20, 140, 250}, {1.00, 20, 70, 240}};
    t = std::clamp(t, 0.0, 1.0);
    std::size_t i = 1;
    while (i + 1 < std::size(stops) && t > stops[i].t) ++i;
    const Stop& a = stops[i - 1];
    const Stop& b = stops[i];
    const double u = (t - a.t) / (b.t - a.t);
    return cv::Vec3b(cv::saturate_cast<std::uint8_t>(a.b + u * (b.b - a.b)),
                     cv::saturate_cast<std::uint8_t>(a.g + u * (b.g - a.g)),
                     cv::saturate_cast<std::uint8_t>(a.r + u * (b.r - a.r)));
}

cv::Vec3b toVec(const cv::Scalar& s) { return cv::Vec3b(std::uint8_t(s[0]), std::uint8_t(s[1]), std::uint8_t(s[2])); }

const cv::Mat& classLut() {
    static const cv::Mat lut = [] {
        cv::Mat m(1, 256, CV_8UC3, cv::Scalar(0, 0, 0));
        for (int b = 0; b <= kSlopeBins; ++b) m.at<cv::Vec3b>(b) = slopeColour(double(b) / kSlopeBins);
        m.at<cv::Vec3b>(kClassTooSteep) = toVec(kTooSteep);
        m.at<cv::Vec3b>(kClassHard) = toVec(kHardHazard);
        m.at<cv::Vec3b>(kClassUnknown) = toVec(kUnknownBase);
        return m;
    }();
    return lut;
}

// The colours of a class image; rows equal to the one above (most of them: a cell spans many
// pixels) are copied.
cv::Mat classColours(const cv::Mat& cls) {
    cv::Mat out(cls.size(), CV_8UC3);
    const cv::Vec3b* lut = classLut().ptr<cv::Vec3b>();
    const std::size_t n = std::size_t(cls.cols);
    for (int r = 0; r < cls.rows; ++r) {
        const std::uint8_t* c = cls.ptr<std::uint8_t>(r);
        cv::Vec3b* o = out.ptr<cv::Vec3b>(r);
        if (r > 0 && std::memcmp(c, cls.ptr<std::uint8_t>(r - 1), n) == 0) {
            std::memcpy(out.ptr<std::uint8_t>(r), out.ptr<std::uint8_t>(r - 1), 3 * n);
            continue;
        }
        for (std::size_t x = 0; x < n; ++x) o[x] = lut[c[x]];
    }
    return out;
}

// One class per hazard-map cell of the window.
cv::Mat hazardClasses(const terrain::HazardMaps& maps, const terrain::PixelWindow& w, double maxTiltDeg) {
    cv::Mat cls(w.rows, w.cols, CV_8U);
    const float binsPerDeg = float(kSlopeBins / std::max(maxTiltDeg, 1e-6));
    const float maxTilt = float(maxTiltDeg);
    constexpr std::uint8_t hard = terrain::kHazardStep | terrain::kHazardRoughness;
    for (int r = 0; r < w.rows; ++r) {
        const float* slope = maps.slope.row(w.row0 + r) + w.col0;
        const std::uint8_t* unknown = maps.unknown.row(w.row0 + r) + w.col0;
        const std::uint8_t* hazard = maps.hazard.row(w.row0 + r) + w.col0;
        std::uint8_t* out = cls.ptr<std::uint8_t>(r);
        for (int c = 0; c < w.cols; ++c) {
            const float s = slope[c];
            std::uint8_t v;
            if (unknown[c] || (hazard[c] & terrain::kHazardUnknown) || !(s >= 0.0f)) v = kClassUnknown;
            else if (hazard[c] & hard) v = kClassHard;
            else if (s >= maxTilt || (hazard[c] & terrain::kHazardSlope)) v = kClassTooSteep;
            else v = std::uint8_t(std::min(float(kSlopeBins), s * binsPerDeg + 0.5f));
            out[c] = v;
        }
    }
    return cls;
}

// Diagonal hatch lines (255) over a square image.
cv::Mat hatchPattern(int size, int period, int width) {
    cv::Mat m(size, size, CV_8U);
    std::vector<std::uint8_t> row(std::size_t(size + period));
    for (std::size_t i = 0; i < row.size(); ++i) row[i] = int(i % std::size_t(period)) < width ? 255 : 0;
    for (int r = 0; r < size; ++r) std::copy_n(row.data() + (r % period), size, m.ptr<std::uint8_t>(r));
    return m;
}

// ---- Overlays shared by both views ---------------------------------------------------------------

enum class ViewKind { Terrain, Hazard };

struct SceneInfo {
    bool outside = false;
    bool hasRoute = false, hasKeepOut = false, hasKeepIn = false, hasCandidates = false;
};

class Overlay {
public:
    Overlay(cv::Mat& img, const ViewGeometry& g, const Style& st, const ViewScene& scene, const twin::RoverConfig& rover,
            const ViewOptions& options, ViewKind kind, double maxTiltDeg)
        : img_(img), g_(g), st_(st), scene_(scene), rover_(rover), options_(options), kind_(kind),
          maxTiltDeg_(maxTiltDeg), layout_(img.size()) {}

    void draw(SceneInfo info) {
        info_ = info;
        // Where everything goes first: furniture, the goal's label, the rover and the candidates claim
        // their places; zone and grid labels take what is left.
        reserve();
        planGoal();
        zones();
        grid();
        route();
        rover();
        candidates();
        goalMarker();
        gridLabels();
        furniture();
        goalLabel();
    }

private:
    cv::Point2d centrePx() const { return g_.toPx({scene_.pose.e, scene_.pose.n}); }
    double candidateRadius() const { return 17.0 * st_.k + 2.0; }
    double goalRadius() const { return 13.0 * st_.k + 2.0; }
    int labelPad() const { return st_.pad / 2 + 1; }

    // ---- Zones: keep-out filled red (terrain view) with a red/white dashed edge; keep-in edged azure.

    void zones() {
        if (!scene_.zones) return;
        const double lo = -2.0 * g_.size, hi = 3.0 * g_.size;
        for (const auto& z : *scene_.zones) {
            if (z.polygon.size() < 3) continue;
            std::vector<cv::Point2d> px;
            for (const auto& p : z.polygon) px.push_back(g_.toPx(p));
            const auto poly = clipPolygon(px, lo, hi);
            if (poly.size() < 3) continue;
            double x0 = hi, y0 = hi, x1 = lo, y1 = lo;
            for (const auto& p : poly) x0 = std::min(x0, p.x), y0 = std::min(y0, p.y), x1 = std::max(x1, p.x), y1 = std::max(y1, p.y);
            const cv::Rect roi = cv::Rect(cv::Point(int(std::floor(x0)) - 1, int(std::floor(y0)) - 1),
                                          cv::Point(int(std::ceil(x1)) + 2, int(std::ceil(y1)) + 2)) &
                                 cv::Rect(0, 0, img_.cols, img_.rows);
            if (roi.empty()) continue;
            if (!z.keepIn && kind_ == ViewKind::Terrain) {
                // Semi-transparent red fill; the hazard view keeps only the edge (its reds mean slope).
                constexpr double alpha = 0.42;
                cv::Mat mask(roi.size(), CV_8U, cv::Scalar(0));
                std::vector<cv::Point> local;
                for (const auto& p : poly) local.push_back(fx(p - cv::Point2d(roi.x, roi.y)));
                cv::fillPoly(mask, std::vector<std::vector<cv::Point>>{local}, cv::Scalar(255), cv::LINE_8, kShift);
                cv::Mat tinted;
                cv::Mat view = img_(roi);
                cv::addWeighted(view, 1.0 - alpha, cv::Mat(roi.size(), img_.type(), kKeepOut), alpha, 0.0, tinted);
                tinted.copyTo(view, mask);
            }
            if (!z.keepIn) dashedRing(poly, kKeepOut, kWhite, st_.px(4), st_.px(14));
            else dashedRing(poly, kKeepIn, kBlack, st_.px(4), st_.px(14));
            zoneLabel(z, px);
        }
    }

    // A zone's label: at its centroid when the whole zone is in view, else just inside the longest
    // visible stretch of its edge; never over the furniture, the rover or the candidates.
    void zoneLabel(const twin::Zone& z, const std::vector<cv::Point2d>& px) {
        if (!st_.decorations) return;
        const std::string text = std::string(z.keepIn ? "keep-in" : "KEEP-OUT") + (z.name.empty() ? "" : ": " + z.name);
        const int p = labelPad();
        const TextMetrics m = measure(text, st_.legend);
        const double w = m.width + 2.0 * p, h = m.capHeight + m.descent + 2.0 * p;
        double area = 0.0;
        cv::Point2d centroid(0, 0);
        for (std::size_t i = 0; i < px.size(); ++i) {
            const cv::Point2d& a = px[i];
            const cv::Point2d& b = px[(i + 1) % px.size()];
            const double c = a.x * b.y - b.x * a.y;
            area += c;
            centroid += (a + b) * c;
        }
        if (std::abs(area) < 1e-9) return;
        centroid /= 3.0 * area;
        std::vector<cv::Point2d> anchors;
        bool allInside = true;
        for (const auto& q : px) allInside = allInside && q.x >= 0 && q.y >= 0 && q.x < g_.size && q.y < g_.size;
        if (allInside) anchors.push_back(centroid);
        // Visible stretches of the edge, longest first, with the label pushed to the inside.
        std::vector<std::pair<double, cv::Point2d>> stretches;
        const double sign = area > 0 ? 1.0 : -1.0;  // image y grows down: the interior is on this side
        for (std::size_t i = 0; i < px.size(); ++i) {
            cv::Point2d a = px[i], b = px[(i + 1) % px.size()];
            if (!clipSegment(a, b, 0.0, g_.size - 1.0)) continue;
            const double len = cv::norm(b - a);
            if (len < w * 0.5) continue;
            const cv::Point2d u = (b - a) / len, n = cv::Point2d(-u.y, u.x) * sign;
            const double off = 0.5 * std::abs(n.x) * w + 0.5 * std::abs(n.y) * h + st_.px(8);
            stretches.push_back({len, 0.5 * (a + b) + n * off});
        }
        std::sort(stretches.begin(), stretches.end(), [](const auto& l, const auto& r) { return l.first > r.first; });
        for (const auto& st : stretches) anchors.push_back(st.second);
        for (const auto& a : anchors) {
            const cv::Rect box(int(std::lround(a.x - 0.5 * w)), int(std::lround(a.y - 0.5 * h)), int(w), int(h));
            if (!layout_.fits(box)) continue;
            drawLabel(img_, text, box, st_.legend, kWhite, z.keepIn ? cv::Scalar(120, 70, 0) : cv::Scalar(0, 0, 150), 0.85, p);
            layout_.take(box);
            return;
        }
    }

    void dashedRing(const std::vector<cv::Point2d>& poly, const cv::Scalar& a, const cv::Scalar& b, int width, int dash) {
        for (std::size_t i = 0; i < poly.size(); ++i) line(img_, poly[i], poly[(i + 1) % poly.size()], kBlack, width + 2 * st_.casing);
        double phase = 0.0;
        for (std::size_t i = 0; i < poly.size(); ++i) {
            const cv::Point2d p = poly[i], q = poly[(i + 1) % poly.size()];
            const double len = cv::norm(q - p);
            if (len <= 0.0) continue;
            const cv::Point2d u = (q - p) / len;
            double t = 0.0;
            while (t < len) {
                const long k = long(std::floor(phase / dash));
                const double run = std::min(len - t, double(k + 1) * dash - phase);
                // Dashes entirely off the image are skipped (the ring was clipped far outside it).
                const cv::Point2d d0 = p + u * t, d1 = p + u * (t + run);
                if (std::max(d0.x, d1.x) > -width && std::max(d0.y, d1.y) > -width &&
                    std::min(d0.x, d1.x) < g_.size + width && std::min(d0.y, d1.y) < g_.size + width)
                    line(img_, d0, d1, (k % 2 == 0) ? a : b, width);
                t += run;
                phase += run;
            }
        }
    }

    // ---- Grid: lines every grid step of the rover-centred frame, labelled in metres on two edges.

    double gridStep() const {
        // The requested spacing, or a round multiple of it when the lines would be too dense to read.
        const double minPx = 20.0 * st_.k;
        for (double base = 1.0;; base *= 10.0)
            for (const double m : {1.0, 2.0, 5.0})
                if (options_.gridStepM * base * m / g_.mpp >= minPx || base > 1e9) return options_.gridStepM * base * m;
    }

    // Calls f(index, value, x, y) for each grid line; index * step = value (metres).
    template <class F>
    void forGridLines(F f) const {
        const double step = gridStep(), half = 0.5 * g_.extentM;
        for (long i = long(std::ceil(-half / step - 1e-9)); double(i) * step <= half + 1e-9; ++i) {
            const double v = double(i) * step;
            f(i, v, (v + half) / g_.mpp - 0.5, (half - v) / g_.mpp - 0.5);
        }
    }

    void grid() {
        const cv::Scalar c = kind_ == ViewKind::Terrain ? kWhite : kBlack;
        const double alpha = kind_ == ViewKind::Terrain ? 0.45 : 0.4;
        const int w = std::max(1, int(std::lround(1.5 * st_.k)));
        forGridLines([&](long, double, double x, double y) {
            const int xi = int(std::lround(x)) - w / 2, yi = int(std::lround(y)) - w / 2;
            blendRect(img_, {xi, 0, w, img_.rows}, c, alpha);
            blendRect(img_, {0, yi, img_.cols, w}, c, alpha);
        });
    }

    void gridLabels() {
        const int pad = st_.pad, p = labelPad();
        // Every line labelled when the labels fit between them, else every 2nd, 5th, 10th... line, the
        // same ones on both edges.
        int widest = 0;
        forGridLines([&](long, double v, double, double) {
            widest = std::max(widest, measure(signedMetres(v), st_.tick).width + 2 * p);
        });
        const double stepPx = gridStep() / g_.mpp;
        long stride = 1;
        for (long base = 1; stride * stepPx < widest + 2 * pad && base < 1000000000L; base *= 10)
            for (const long m : {1L, 2L, 5L})
                if (stride * stepPx < widest + 2 * pad) stride = base * m;
        forGridLines([&](long i, double v, double x, double y) {
            if (i % stride != 0) return;
            const std::string text = signedMetres(v);
            const cv::Rect eb = labelBox(text, st_.tick, {int(std::lround(x)), g_.size - pad}, Align::Centre, Align::End, p);
            if (layout_.fits(eb)) {
                drawLabel(img_, text, eb, st_.tick, kWhite, kBoxBg, 0.8, p);
                layout_.take(eb + cv::Size(pad, 0) - cv::Point(pad / 2, 0));
            }
            const cv::Rect nb = labelBox(text, st_.tick, {pad, int(std::lround(y))}, Align::Start, Align::Centre, p);
            if (layout_.fits(nb)) {
                drawLabel(img_, text, nb, st_.tick, kWhite, kBoxBg, 0.8, p);
                layout_.take(nb + cv::Size(0, pad) - cv::Point(0, pad / 2));
            }
        });
    }

    // ---- The route so far, the rover, the candidates.

    void route() {
        if (!scene_.route) return;
        const auto pts = scene_.route->points();
        std::vector<cv::Point2d> px;
        for (const auto& p : pts) px.push_back(g_.toPx(p));
        for (std::size_t i = 1; i < px.size(); ++i) line(img_, px[i - 1], px[i], kBlack, st_.line + 2 * st_.casing);
        for (std::size_t i = 1; i < px.size(); ++i) line(img_, px[i - 1], px[i], kRoute, st_.line);
        const double r = 4.5 * st_.k + 1.0;
        for (const auto& p : px)
            if (p.x > -r && p.y > -r && p.x < g_.size + r && p.y < g_.size + r) disc(img_, p, r, kWhite, kBlack, st_.casing);
    }

    struct RoverShape {
        std::array<cv::Point2d, 4> corners;
        cv::Point2d centre, nose, tip;
    };

    RoverShape roverShape() const {
        const double h = scene_.pose.headingDeg * kDegToRad;
        // Image axes: x east, y south.
        const cv::Point2d fwd(std::sin(h), -std::cos(h)), right(std::cos(h), std::sin(h));
        RoverShape s;
        s.centre = centrePx();
        // Never smaller than a legible symbol on wide windows.
        const double scale = std::max(1.0, 14.0 * st_.k / (rover_.bodyLengthM / g_.mpp));
        const double hl = 0.5 * rover_.bodyLengthM / g_.mpp * scale, hw = 0.5 * rover_.bodyWidthM / g_.mpp * scale;
        const cv::Point2d c = s.centre;
        s.corners = {c + fwd * hl + right * hw, c + fwd * hl - right * hw, c - fwd * hl - right * hw,
                     c - fwd * hl + right * hw};
        s.nose = c + fwd * hl;
        s.tip = c + fwd * (hl + std::max(48.0 * st_.k, 3.0 / g_.mpp));
        return s;
    }

    void rover() {
        const RoverShape s = roverShape();
        for (int i = 0; i < 4; ++i) line(img_, s.corners[i], s.corners[(i + 1) % 4], kBlack, st_.line + 2 * st_.casing);
        for (int i = 0; i < 4; ++i) line(img_, s.corners[i], s.corners[(i + 1) % 4], kWhite, st_.line);
        casedArrow(img_, s.centre, s.tip, kWhite, st_.line, 16.0 * st_.k + 4.0, st_.casing);
        disc(img_, s.centre, 3.0 * st_.k + 1.0, kWhite, kBlack, st_.casing);
    }

    void candidates() {
        const double r = candidateRadius();
        for (const auto& cand : scene_.candidates) {
            const cv::Point2d p = g_.localToPx(cand.local);
            if (p.x < -r || p.y < -r || p.x > g_.size + r || p.y > g_.size + r) continue;
            disc(img_, p, r, kCandidate, kBlack, std::max(2, st_.px(2.5)));
            const std::string n = std::to_string(cand.number);
            const TextMetrics m = measure(n, st_.marker);
            putText(img_, n, {int(std::lround(p.x - 0.5 * m.width)), int(std::lround(p.y + 0.5 * m.capHeight))},
                    st_.marker, kBlack);
        }
    }

    // ---- The goal: a marker when it is in the window, else an arrow at the window's edge towards it.

    // Where the goal's marker or arrow and its label go, clear of the furniture already placed.
    void planGoal() {
        goal_ = {};
        const cv::Point2d g = g_.toPx(scene_.goal);
        const double dE = scene_.goal.e - scene_.pose.e, dN = scene_.goal.n - scene_.pose.n;
        const double dist = std::hypot(dE, dN);
        double bearing = std::atan2(dE, dN) / kDegToRad;
        if (bearing < 0.0) bearing += 360.0;
        if (std::lround(bearing) == 360) bearing = 0.0;
        const std::string distText = dist >= 10.0 ? metres(std::round(dist)) : format("%.1f", dist);
        const int p = labelPad();
        const double gap = 6.0 * st_.k + 2.0;
        if (g.x >= 0 && g.y >= 0 && g.x <= g_.size - 1 && g.y <= g_.size - 1) {
            goal_.inside = true;
            goal_.at = g;
            goal_.text = "goal " + distText + " m";
            const double r = goalRadius() + gap;
            const TextMetrics m = measure(goal_.text, st_.goal);
            const double w = m.width + 2 * p, h = m.capHeight + m.descent + 2 * p;
            const cv::Rect2d mark(g.x - r, g.y - r, 2 * r, 2 * r);
            // Right, left, above, below the marker.
            placeGoalLabel({{mark.br().x + 0.5 * w, g.y}, {mark.x - 0.5 * w, g.y}, {g.x, mark.y - 0.5 * h},
                            {g.x, mark.br().y + 0.5 * h}},
                           w, h, mark);
            return;
        }
        if (!(dist > 0.0)) return;
        // The ray from the rover towards the goal, up to a square inset from the image's edge or the
        // first piece of furniture in its way.
        const cv::Point2d c = centrePx();
        const cv::Point2d u(dE / dist, -dN / dist);
        const double inset = 10.0 * st_.k + 3.0;
        double t = std::numeric_limits<double>::infinity();
        if (u.x > 1e-12) t = std::min(t, (g_.size - 1 - inset - c.x) / u.x);
        if (u.x < -1e-12) t = std::min(t, (inset - c.x) / u.x);
        if (u.y > 1e-12) t = std::min(t, (g_.size - 1 - inset - c.y) / u.y);
        if (u.y < -1e-12) t = std::min(t, (inset - c.y) / u.y);
        for (const cv::Rect& r : furniture_) {
            // Where the ray enters the box (grown by the inset), if it does.
            const cv::Rect2d box(r.x - inset, r.y - inset, r.width + 2 * inset, r.height + 2 * inset);
            double t0 = 0.0, t1 = t;
            const double pd[4] = {-u.x, u.x, -u.y, u.y};
            const double qd[4] = {c.x - box.x, box.br().x - c.x, c.y - box.y, box.br().y - c.y};
            bool hit = true;
            for (int k = 0; k < 4 && hit; ++k) {
                if (std::abs(pd[k]) < 1e-12) {
                    hit = qd[k] >= 0.0;
                    continue;
                }
                const double tk = qd[k] / pd[k];
                if (pd[k] < 0.0) t0 = std::max(t0, tk);
                else t1 = std::min(t1, tk);
                hit = t0 <= t1;
            }
            if (hit && t0 > 0.0) t = std::min(t, t0);
        }
        // Never shorter than the arrow, whatever is in the way.
        const double len = 70.0 * st_.k + 10.0;
        t = std::max(t, len + 20.0 * st_.k);
        goal_.tip = c + u * t;
        goal_.tail = goal_.tip - u * len;
        goal_.text = "goal " + distText + " m, bearing " + metres(std::round(bearing)) + kDeg;
        const TextMetrics m = measure(goal_.text, st_.goal);
        const double w = m.width + 2 * p, h = m.capHeight + m.descent + 2 * p;
        const double head = 0.6 * (22.0 * st_.k + 5.0) + st_.casing + 2.0;
        const cv::Rect2d arrowBox(cv::Point2d(std::min(goal_.tail.x, goal_.tip.x) - head, std::min(goal_.tail.y, goal_.tip.y) - head),
                                  cv::Point2d(std::max(goal_.tail.x, goal_.tip.x) + head, std::max(goal_.tail.y, goal_.tip.y) + head));
        // Behind the arrow's tail, else beside the arrow on either side.
        auto reach = [&](cv::Point2d d) {
            return std::min(std::abs(d.x) > 1e-9 ? 0.5 * w / std::abs(d.x) : 1e18,
                            std::abs(d.y) > 1e-9 ? 0.5 * h / std::abs(d.y) : 1e18);
        };
        const cv::Point2d n(-u.y, u.x), mid = 0.5 * (goal_.tail + goal_.tip);
        placeGoalLabel({goal_.tail - u * (reach(u) + gap), mid + n * (reach(n) + head + gap),
                        mid - n * (reach(n) + head + gap)},
                       w, h, arrowBox);
    }

    // The first of the label's candidate centres whose box is inside the image and clear of the
    // layout and of the marker (or arrow); the first one, kept inside the image, when none is.
    void placeGoalLabel(const std::vector<cv::Point2d>& centres, double w, double h, const cv::Rect2d& mark) {
        const cv::Rect markBox(cv::Point(int(std::floor(mark.x)), int(std::floor(mark.y))),
                               cv::Point(int(std::ceil(mark.br().x)), int(std::ceil(mark.br().y))));
        auto boxAt = [&](cv::Point2d c, bool clamp) {
            double x = c.x - 0.5 * w, y = c.y - 0.5 * h;
            if (clamp) {
                x = std::clamp(x, double(st_.pad), g_.size - st_.pad - w);
                y = std::clamp(y, double(st_.pad), g_.size - st_.pad - h);
            }
            return cv::Rect(int(std::lround(x)), int(std::lround(y)), int(std::ceil(w)), int(std::ceil(h)));
        };
        goal_.box = boxAt(centres.front(), true);
        for (const auto& c : centres) {
            const cv::Rect b = boxAt(c, false);
            if (layout_.fits(b) && (b & markBox).area() == 0) {
                goal_.box = b;
                break;
            }
        }
        layout_.take(goal_.box);
        layout_.take(markBox);
    }

    void goalMarker() {
        if (goal_.text.empty()) return;
        if (goal_.inside) {
            const cv::Point2d g = goal_.at;
            const double r = goalRadius();
            cv::circle(img_, fx(g), fxLen(r), kBlack, st_.line + 2 * st_.casing + 2, cv::LINE_AA, kShift);
            cv::circle(img_, fx(g), fxLen(r), kGoal, st_.line + 2, cv::LINE_AA, kShift);
            casedLine(img_, g - cv::Point2d(r * 0.55, 0), g + cv::Point2d(r * 0.55, 0), kGoal, st_.line, st_.casing);
            casedLine(img_, g - cv::Point2d(0, r * 0.55), g + cv::Point2d(0, r * 0.55), kGoal, st_.line, st_.casing);
        } else {
            casedArrow(img_, goal_.tail, goal_.tip, kGoal, st_.line + 2, 22.0 * st_.k + 5.0, st_.casing + 1);
        }
    }

    void goalLabel() {
        if (goal_.text.empty()) return;
        cv::rectangle(img_, goal_.box, kBlack, cv::FILLED);
        cv::rectangle(img_, goal_.box, kGoal, std::max(1, st_.px(1.5)));
        drawLabel(img_, goal_.text, goal_.box, st_.goal, kWhite, kBlack, 0.0, labelPad());
    }

    // ---- Furniture: north arrow, axis titles, scale bar, caption, legend.

    void reserve() {
        const int pad = st_.pad, p = labelPad();
        const int S = g_.size;
        const TextMetrics nm = measure("N", st_.title);
        northBox_ = {pad, pad, std::max(nm.width + 2 * pad, st_.px(34)), nm.capHeight + st_.px(62)};
        nTitle_ = labelBox("N (m)", st_.title, {pad, northBox_.br().y + pad}, Align::Start, Align::Start, p);
        eTitle_ = labelBox("E (m)", st_.title, {S - pad, S - pad}, Align::End, Align::End, p);
        // Scale bar: a round length near an eighth of the window.
        const double target = g_.extentM / 8.0;
        scaleM_ = 1e-3;
        for (double base = 1e-3; base < 1e6; base *= 10.0)
            for (double m : {1.0, 2.0, 5.0})
                if (base * m <= target * 1.0001) scaleM_ = base * m;
        const int barPx = int(std::lround(scaleM_ / g_.mpp));
        const TextMetrics sm = measure(metres(scaleM_) + " m", st_.tick);
        const int boxW = std::max(barPx, sm.width) + 2 * pad, boxH = sm.capHeight + st_.px(9) + 3 * pad;
        scaleBox_ = {st_.px(72), S - st_.px(44) - boxH, boxW, boxH};
        furniture_ = {northBox_, nTitle_, eTitle_, scaleBox_};
        if (st_.decorations) {
            legend_ = kind_ == ViewKind::Terrain ? terrainLegendRows() : hazardLegendRows();
            legendBox_ = legendRect();
            furniture_.push_back(legendBox_);
            caption_ = std::string(kind_ == ViewKind::Terrain ? "TERRAIN" : "HAZARDS") + "  " + metres(g_.extentM) +
                       " x " + metres(g_.extentM) + " m, north up, grid " + metres(gridStep()) + " m";
            captionBox_ = labelBox(caption_, st_.caption, {northBox_.br().x + 2 * pad, pad}, Align::Start,
                                   Align::Start, pad);
            if ((captionBox_ & legendBox_).area() > 0) caption_.clear();
            else furniture_.push_back(captionBox_);
        }
        for (const auto& r : furniture_) layout_.take(r);
        // The rover with its heading arrow, and the candidates, stay clear of labels.
        const RoverShape rs = roverShape();
        std::vector<cv::Point2f> pts(rs.corners.begin(), rs.corners.end());
        pts.emplace_back(rs.tip);
        layout_.take(cv::boundingRect(pts) + cv::Size(2 * pad, 2 * pad) - cv::Point(pad, pad));
        const double r = candidateRadius() + 2.0;
        for (const auto& cand : scene_.candidates) {
            const cv::Point2d c = g_.localToPx(cand.local);
            if (c.x < -r || c.y < -r || c.x > g_.size + r || c.y > g_.size + r) continue;
            layout_.take(cv::Rect(int(c.x - r), int(c.y - r), int(2 * r) + 1, int(2 * r) + 1));
        }
    }

    void furniture() {
        const int pad = st_.pad, p = labelPad();
        // North arrow.
        blendRect(img_, northBox_, kBoxBg, 0.8);
        const TextMetrics nm = measure("N", st_.title);
        const double cx = northBox_.x + 0.5 * northBox_.width;
        putText(img_, "N", {int(std::lround(cx - 0.5 * nm.width)), northBox_.y + pad + nm.capHeight}, st_.title, kWhite);
        const double top = northBox_.y + 2 * pad + nm.capHeight, bottom = northBox_.br().y - pad;
        arrow(img_, {cx, bottom}, {cx, top}, kWhite, st_.line, std::min(18.0 * st_.k + 3.0, 0.5 * (bottom - top)));
        // Axis titles.
        drawLabel(img_, "N (m)", nTitle_, st_.title, kWhite, kBoxBg, 0.8, p);
        drawLabel(img_, "E (m)", eTitle_, st_.title, kWhite, kBoxBg, 0.8, p);
        // Scale bar: two halves, white and black.
        blendRect(img_, scaleBox_, kBoxBg, 0.8);
        const std::string text = metres(scaleM_) + " m";
        const TextMetrics sm = measure(text, st_.tick);
        putText(img_, text, {scaleBox_.x + pad, scaleBox_.y + pad + sm.capHeight}, st_.tick, kWhite);
        const int barPx = int(std::lround(scaleM_ / g_.mpp));
        const int barH = st_.px(9);
        const cv::Rect bar(scaleBox_.x + pad, scaleBox_.br().y - pad - barH, barPx, barH);
        cv::rectangle(img_, bar, kWhite, cv::FILLED);
        cv::rectangle(img_, cv::Rect(bar.x + barPx / 2, bar.y, barPx - barPx / 2, barH), kBlack, cv::FILLED);
        cv::rectangle(img_, bar, kWhite, 1);
        if (!st_.decorations) return;
        if (!caption_.empty()) drawLabel(img_, caption_, captionBox_, st_.caption, kWhite, kBoxBg, 0.8, pad);
        drawLegend();
    }

    // ---- Legends ----

    enum class Swatch { Rover, Route, Goal, KeepOut, KeepIn, Candidate, Outside, TooSteep, Hard, Unknown, SlopeBar };
    struct Row {
        Swatch swatch;
        std::string text;
    };

    std::vector<Row> terrainLegendRows() const {
        std::vector<Row> rows = {{Swatch::Rover, "rover, heading"}};
        if (info_.hasRoute) rows.push_back({Swatch::Route, "route so far"});
        rows.push_back({Swatch::Goal, "goal"});
        if (info_.hasCandidates) rows.push_back({Swatch::Candidate, "candidate point"});
        if (info_.hasKeepOut) rows.push_back({Swatch::KeepOut, "keep-out zone"});
        if (info_.hasKeepIn) rows.push_back({Swatch::KeepIn, "keep-in zone"});
        if (info_.outside) rows.push_back({Swatch::Outside, "outside site (no data)"});
        return rows;
    }

    std::vector<Row> hazardLegendRows() const {
        const std::string tilt = metres(std::round(maxTiltDeg_ * 10.0) / 10.0);
        return {{Swatch::SlopeBar, "slope (" + kDeg + ")"},
                {Swatch::TooSteep, "slope " + tilt + kDeg + "+: too steep"},
                {Swatch::Hard, "step / rough: hazard"},
                {Swatch::Unknown, "unknown terrain"},
                {Swatch::Outside, "outside site (no data)"}};
    }

    int rowHeight() const { return capHeight(st_.legend) + st_.px(13); }
    int swatchWidth() const { return st_.px(34); }
    int slopeBarHeight() const { return st_.px(16) + capHeight(st_.legend) + st_.px(18); }

    cv::Rect legendRect() const {
        const int pad = st_.pad;
        int w = 0, h = pad;
        for (const auto& r : legend_) {
            if (r.swatch == Swatch::SlopeBar) {
                w = std::max(w, measure(r.text, st_.legend).width);
                h += rowHeight() + slopeBarHeight();
            } else {
                w = std::max(w, swatchWidth() + pad + measure(r.text, st_.legend).width);
                h += rowHeight();
            }
        }
        w = std::max(w, st_.px(230));
        w += 2 * pad;
        h += pad;
        return {g_.size - pad - w, pad, w, h};
    }

    void drawLegend() {
        const int pad = st_.pad;
        blendRect(img_, legendBox_, kBoxBg, 0.82);
        int y = legendBox_.y + pad;
        const int x = legendBox_.x + pad;
        const int ch = capHeight(st_.legend), rh = rowHeight();
        for (const auto& r : legend_) {
            if (r.swatch == Swatch::SlopeBar) {
                putText(img_, r.text, {x, y + (rh + ch) / 2}, st_.legend, kWhite);
                y += rh;
                slopeBar({x, y, legendBox_.width - 2 * pad, slopeBarHeight()});
                y += slopeBarHeight();
                continue;
            }
            const cv::Rect sw(x, y + st_.px(3), swatchWidth(), rh - st_.px(6));
            swatch(r.swatch, sw);
            putText(img_, r.text, {x + swatchWidth() + pad, y + (rh + ch) / 2}, st_.legend, kWhite);
            y += rh;
        }
    }

    // The slope colour scale from 0 to a little beyond the max tilt, with labelled ticks.
    void slopeBar(const cv::Rect& area) {
        const int barH = st_.px(16);
        const int x0 = area.x + st_.px(6), x1 = area.br().x - st_.px(14);
        const double maxDeg = maxTiltDeg_ * 1.2;
        const int limitX = x0 + int(std::lround((x1 - x0) * maxTiltDeg_ / maxDeg));
        for (int x = x0; x < x1; ++x) {
            const double deg = maxDeg * (x - x0) / double(x1 - x0);
            const cv::Scalar c = deg >= maxTiltDeg_ ? kTooSteep : [&] {
                const cv::Vec3b v = slopeColour(deg / maxTiltDeg_);
                return cv::Scalar(v[0], v[1], v[2]);
            }();
            cv::line(img_, {x, area.y}, {x, area.y + barH - 1}, c, 1);
        }
        cv::rectangle(img_, cv::Rect(x0, area.y, x1 - x0, barH), kWhite, 1);
        // Ticks every 10 degrees (5 for small limits), and the limit itself.
        const double step = maxTiltDeg_ > 24.0 ? 10.0 : maxTiltDeg_ > 8.0 ? 5.0 : 1.0;
        std::vector<double> ticks;
        for (double d = 0.0; d < maxTiltDeg_ - 0.35 * step; d += step) ticks.push_back(d);
        ticks.push_back(maxTiltDeg_);
        for (double d : ticks) {
            const int x = x0 + int(std::lround((x1 - x0) * d / maxDeg));
            cv::line(img_, {x, area.y + barH}, {x, area.y + barH + st_.px(5)}, kWhite, std::max(1, st_.px(1.5)));
            const std::string text = metres(std::round(d * 10.0) / 10.0);
            const TextMetrics m = measure(text, st_.legend);
            putText(img_, text, {x - m.width / 2, area.y + barH + st_.px(8) + m.capHeight}, st_.legend, kWhite);
        }
        cv::line(img_, {limitX, area.y - st_.px(2)}, {limitX, area.y + barH + st_.px(1)}, kWhite, std::max(1, st_.px(2)));
    }

    void swatch(Swatch s, const cv::Rect& r) {
        const cv::Point2d c(r.x + 0.5 * r.width, r.y + 0.5 * r.height);
        switch (s) {
            case Swatch::Rover: {
                const double hw = 0.22 * r.width, hh = 0.3 * r.height;
                cv::rectangle(img_, cv::Rect(int(c.x - hw), int(c.y - hh), int(2 * hw), int(2 * hh)), kWhite,
                              std::max(1, st_.px(2)));
                arrow(img_, {c.x - hw, c.y}, {double(r.br().x), c.y}, kWhite, std::max(1, st_.px(2)), st_.px(8));
                break;
            }
            case Swatch::Route:
                casedLine(img_, {double(r.x), c.y}, {double(r.br().x), c.y}, kRoute, st_.line, st_.casing);
                disc(img_, c, 4.5 * st_.k + 1.0, kWhite, kBlack, st_.casing);
                break;
            case Swatch::Goal: {
                const double rr = 0.4 * r.height;
                cv::circle(img_, fx(c), fxLen(rr), kGoal, std::max(1, st_.px(3)), cv::LINE_AA, kShift);
                break;
            }
            case Swatch::Candidate:
                disc(img_, c, 0.5 * r.height, kCandidate, kBlack, std::max(1, st_.px(2)));
                break;
            case Swatch::KeepOut:
                blendRect(img_, r, kKeepOut, 0.5);
                cv::rectangle(img_, r, kKeepOut, std::max(1, st_.px(3)));
                break;
            case Swatch::KeepIn:
                cv::rectangle(img_, r, kKeepIn, std::max(1, st_.px(3)));
                break;
            case Swatch::Outside:
                cv::rectangle(img_, r, kNoDataGrey, cv::FILLED);
                cv::rectangle(img_, r, cv::Scalar(140, 140, 140), 1);
                break;
            case Swatch::TooSteep:
                cv::rectangle(img_, r, kTooSteep, cv::FILLED);
                break;
            case Swatch::Hard:
                cv::rectangle(img_, r, kHardHazard, cv::FILLED);
                break;
            case Swatch::Unknown: {
                cv::Mat roi = img_(r & cv::Rect(0, 0, img_.cols, img_.rows));
                roi.setTo(kUnknownBase);
                const int period = std::max(4, st_.px(10)), width = std::max(1, st_.px(3));
                const cv::Mat h = hatchPattern(std::max(roi.cols, roi.rows), period, width);
                roi.setTo(kUnknownHatch, h(cv::Rect(0, 0, roi.cols, roi.rows)));
                break;
            }
            case Swatch::SlopeBar:
                break;
        }
    }

    cv::Mat& img_;
    const ViewGeometry& g_;
    const Style& st_;
    const ViewScene& scene_;
    const twin::RoverConfig& rover_;
    const ViewOptions& options_;
    ViewKind kind_;
    double maxTiltDeg_;
    Layout layout_;
    SceneInfo info_;

    struct Goal {
        std::string text;  // empty: nothing to draw (the goal is where the rover is)
        bool inside = false;
        cv::Point2d at, tail, tip;
        cv::Rect box;
    } goal_;
    cv::Rect northBox_, nTitle_, eTitle_, scaleBox_, legendBox_, captionBox_;
    std::vector<cv::Rect> furniture_;
    double scaleM_ = 10.0;
    std::vector<Row> legend_;
    std::string caption_;
};

// ---- Encoding -------------------------------------------------------------------------------------

EncodedImage encode(const cv::Mat& img, const std::string& name, const ViewOptions& o) {
    EncodedImage out;
    out.name = name;
    out.width = img.cols;
    out.height = img.rows;
    std::vector<uchar> buf;
    bool ok = false;
    if (o.format == ImageFormat::Png) {
        out.mediaType = "image/png";
        // No IMWRITE_PNG_COMPRESSION: with it, libpng tries all five filters on every row (~1.5x
        // slower); without it OpenCV uses the Sub filter and zlib's fastest level.
        ok = cv::imencode(".png", img, buf, {cv::IMWRITE_PNG_STRATEGY, cv::IMWRITE_PNG_STRATEGY_DEFAULT});
    } else {
        out.mediaType = "image/jpeg";
        ok = cv::imencode(".jpg", img, buf, {cv::IMWRITE_JPEG_QUALITY, o.jpegQuality});
    }
    if (!ok) throw Error(Error::Kind::Io, "view renderer: cannot encode the " + name + " view");
    out.bytes.assign(reinterpret_cast<const char*>(buf.data()), buf.size());
    return out;
}

bool finite(double v) { return std::isfinite(v); }

}  // namespace

// ---- ViewRenderer -----------------------------------------------------------------------------------

ViewRenderer::ViewRenderer(const terrain::Raster& dtm, const terrain::Raster* ortho, const terrain::HazardMaps& maps,
                           const twin::RoverConfig& rover, ViewOptions options)
    : dtm_(dtm), ortho_(ortho), maps_(maps), rover_(rover), options_(options) {
    auto bad = [](const std::string& what) { throw Error(Error::Kind::InvalidArgument, "view options: " + what); };
    if (options_.sizePx < 64 || options_.sizePx > 1568)
        bad("sizePx " + std::to_string(options_.sizePx) + " is outside 64..1568");
    if (!finite(options_.extentM) || options_.extentM <= 0.0 || options_.extentM > 2000.0)
        bad("extentM " + format("%g", options_.extentM) + " is outside (0, 2000] m");
    if (!finite(options_.gridStepM) || options_.gridStepM <= 0.0)
        bad("gridStepM " + format("%g", options_.gridStepM) + " must be positive");
    if (options_.jpegQuality < 1 || options_.jpegQuality > 100)
        bad("jpegQuality " + std::to_string(options_.jpegQuality) + " is outside 1..100");
    if (options_.format != ImageFormat::Png && options_.format != ImageFormat::Jpeg) bad("unknown image format");
    const auto& s = maps_.slope;
    if (maps_.unknown.cols != s.cols || maps_.unknown.rows != s.rows || maps_.hazard.cols != s.cols ||
        maps_.hazard.rows != s.rows)
        throw Error(Error::Kind::InvalidArgument, "view renderer: hazard layers of different sizes");
    if (!finite(rover_.bodyLengthM) || !finite(rover_.bodyWidthM) || rover_.bodyLengthM <= 0.0 ||
        rover_.bodyWidthM <= 0.0 || !finite(rover_.maxTiltPlanningDeg) || rover_.maxTiltPlanningDeg <= 0.0)
        throw Error(Error::Kind::InvalidArgument, "view renderer: rover body size and tilt limit must be positive");
}

std::vector<EncodedImage> ViewRenderer::render(const ViewScene& scene) const {
    if (!finite(scene.pose.e) || !finite(scene.pose.n) || !finite(scene.pose.headingDeg))
        throw Error(Error::Kind::InvalidArgument, "view renderer: the rover's pose is not finite");
    if (!finite(scene.goal.e) || !finite(scene.goal.n))
        throw Error(Error::Kind::InvalidArgument, "view renderer: the goal is not finite");

    ViewGeometry g;
    g.centre = {scene.pose.e, scene.pose.n};
    g.extentM = options_.extentM;
    g.size = options_.sizePx;
    g.mpp = options_.extentM / options_.sizePx;
    const Style style(g.size);
    const cv::Size size(g.size, g.size);
    const double maxTilt = rover_.maxTiltPlanningDeg;

    SceneInfo info;
    if (scene.route) info.hasRoute = scene.route->points().size() >= 2;
    if (scene.zones)
        for (const auto& z : *scene.zones) (z.keepIn ? info.hasKeepIn : info.hasKeepOut) = true;
    info.hasCandidates = !scene.candidates.empty();

    // Every GDAL read happens here, on the caller's thread; the two views are then drawn and encoded
    // on two threads from memory.
    const std::optional<Hillshade> shade = computeHillshade(dtm_, g);
    std::optional<SourceWindow> orthoWindow;
    cv::Mat orthoPixels;
    if (ortho_) {
        const int level = chooseLevel(*ortho_, g.mpp);
        const terrain::OverviewInfo ls = ortho_->levelSize(level);
        orthoWindow = sourceWindow(g, ortho_->levelGeoTransform(level), ls.cols, ls.rows, 2);
        if (orthoWindow) {
            std::vector<cv::Mat> bands;
            const int nBands = ortho_->info().bands >= 3 ? 3 : 1;
            for (int b = nBands; b >= 1; --b) {  // BGR from bands 3, 2, 1 of a colour image
                terrain::Grid<std::uint8_t> px = ortho_->readWindowBytes(orthoWindow->window, level, b);
                bands.push_back(cv::Mat(px.rows, px.cols, CV_8U, px.values.data()).clone());
            }
            if (nBands == 1) orthoPixels = bands[0];
            else cv::merge(bands, orthoPixels);
        }
    }
    const auto& dtmInfo = dtm_.info();

    // ---- Terrain view: the orthoimage (or the hillshade), overlays.
    auto terrainView = [&] {
        cv::Mat img;
        SceneInfo terrainInfo = info;
        if (ortho_ && orthoWindow) {
            stretchContrast(orthoPixels);
            if (orthoPixels.channels() == 1) {
                cv::cvtColor(resampleLinear(orthoPixels, orthoWindow->outToSrc, size), img, cv::COLOR_GRAY2BGR);
            } else {
                cv::warpAffine(orthoPixels, img, cv::Mat(orthoWindow->outToSrc), size,
                               cv::INTER_LINEAR | cv::WARP_INVERSE_MAP, cv::BORDER_REPLICATE);
            }
            const auto& oi = ortho_->info();
            terrainInfo.outside = paintOutside(img, g, oi.geoTransform, oi.cols, oi.rows);
        } else if (!ortho_ && shade) {
            cv::cvtColor(warpHillshade(*shade, g, 225.0, kGreyFloor, true), img, cv::COLOR_GRAY2BGR);
            terrainInfo.outside = paintOutside(img, g, dtmInfo.geoTransform, dtmInfo.cols, dtmInfo.rows);
        } else {
            img = cv::Mat(size, CV_8UC3, kNoDataGrey);
            terrainInfo.outside = true;
        }
        Overlay(img, g, style, scene, rover_, options_, ViewKind::Terrain, maxTilt).draw(terrainInfo);
        return encode(img, "terrain", options_);
    };

    // ---- Hazard view: slope classes shaded by the hillshade, hazards, unknown terrain, overlays.
    auto hazardView = [&] {
        cv::Mat cls;
        const auto sw = sourceWindow(g, maps_.geoTransform, maps_.slope.cols, maps_.slope.rows, 1);
        if (sw) {
            cv::Mat cells = hazardClasses(maps_, sw->window, maxTilt);
            // When a pixel spans several cells, the worst of them shows (classes are ordered by
            // severity, slope bins by slope).
            const double cellsPerPixel = g.mpp / std::max(1e-9, maps_.geoTransform.pixelWidth());
            if (cellsPerPixel > 1.5) {
                const int k = int(std::ceil(cellsPerPixel));
                cv::dilate(cells, cells, cv::getStructuringElement(cv::MORPH_RECT, {k, k}));
            }
            cls = resampleNearest(cells, sw->outToSrc, size, kClassUnknown);
        } else {
            cls = cv::Mat(size, CV_8U, cv::Scalar(kClassUnknown));
        }
        cv::Mat img = classColours(cls);
        if (shade) {
            cv::Mat s3;
            cv::cvtColor(warpHillshade(*shade, g, 255.0 * (1.0 - kShadeFloor), 255.0 * kShadeFloor, false), s3,
                         cv::COLOR_GRAY2BGR);
            cv::multiply(img, s3, img, 1.0 / 255.0);
        }
        const cv::Mat unknown = cls == kClassUnknown;
        if (cv::countNonZero(unknown) > 0) {
            img.setTo(kUnknownBase, unknown);
            cv::Mat lines;
            cv::bitwise_and(unknown, hatchPattern(g.size, std::max(4, style.px(12)), std::max(1, style.px(3))), lines);
            img.setTo(kUnknownHatch, lines);
        }
        SceneInfo hazardInfo = info;
        hazardInfo.outside = paintOutside(img, g, dtmInfo.geoTransform, dtmInfo.cols, dtmInfo.rows);
        Overlay(img, g, style, scene, rover_, options_, ViewKind::Hazard, maxTilt).draw(hazardInfo);
        return encode(img, "hazard", options_);
    };

    auto terrainJob = std::async(std::launch::async, terrainView);
    std::vector<EncodedImage> out(2);
    try {
        out[1] = hazardView();
    } catch (...) {
        terrainJob.wait();
        throw;
    }
    out[0] = terrainJob.get();
    return out;
}

// ---- Candidates ---------------------------------------------------------------------------------------

std::vector<Candidate> reachableCandidates(const planner::SegmentChecker& checker, const twin::Pose& pose,
                                           double radiusM, int count) {
    if (!finite(radiusM) || radiusM <= 0.0)
        throw Error(Error::Kind::InvalidArgument, "candidates: radius must be finite and positive");
    if (count < 1 || count > 99) throw Error(Error::Kind::InvalidArgument, "candidates: count must be in 1..99");
    if (!finite(pose.e) || !finite(pose.n) || !finite(pose.headingDeg))
        throw Error(Error::Kind::InvalidArgument, "candidates: the rover's pose is not finite");
    std::vector<Candidate> out;
    const MapPoint from{pose.e, pose.n};
    for (int i = 0; i < count; ++i) {
        const double bearing = (pose.headingDeg + 360.0 * i / count) * kDegToRad;
        const LocalPoint local{radiusM * std::sin(bearing), radiusM * std::cos(bearing)};
        const MapPoint to{from.e + local.east, from.n + local.north};
        if (checker.check(from, to, /*fromRoverPose=*/true).status == planner::CheckStatus::Fail) continue;
        out.push_back({int(out.size()) + 1, local, to});
    }
    return out;
}

}  // namespace traverse::vlm
