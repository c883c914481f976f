#include "studio/transcript_panel.hpp"

#include <algorithm>

#include <QFile>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QPainter>
#include <QPixmap>
#include <QPlainTextEdit>
#include <QTabWidget>
#include <QVBoxLayout>

namespace traverse::studio {

namespace {

QByteArray readAll(const std::filesystem::path& p, bool* ok = nullptr) {
    QFile f(QString::fromStdString(p.string()));
    const bool opened = f.open(QIODevice::ReadOnly);
    if (ok) *ok = opened;
    return opened ? f.readAll() : QByteArray();
}

// JSON pretty-printed when it parses, else as it is.
QString pretty(const QByteArray& bytes) {
    const QJsonDocument doc = QJsonDocument::fromJson(bytes);
    return doc.isNull() ? QString::fromUtf8(bytes) : QString::fromUtf8(doc.toJson(QJsonDocument::Indented));
}

QPlainTextEdit* textView(QWidget* parent) {
    auto* t = new QPlainTextEdit(parent);
    t->setReadOnly(true);
    t->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    t->setLineWrapMode(QPlainTextEdit::WidgetWidth);
    return t;
}

// The parsed answer for a person: the model's reasoning, then each waypoint in the rover's frame
// and in the map frame, then the JSON as recorded.
QString describeParsed(const QJsonObject& parsed) {
    QString out;
    if (const QString r = parsed.value("reasoning").toString(); !r.isEmpty()) out += QObject::tr("Reasoning: %1\n\n").arg(r);
    if (parsed.contains("candidate")) out += QObject::tr("Candidate chosen: %1\n").arg(parsed.value("candidate").toInt());
    const QJsonArray local = parsed.value("local").toArray(), map = parsed.value("map").toArray();
    for (qsizetype i = 0; i < local.size(); ++i) {
        const QJsonObject l = local[i].toObject();
        out += QObject::tr("Waypoint %1: %2 m east, %3 m north of the rover")
                   .arg(i + 1)
                   .arg(l.value("east").toDouble(), 0, 'f', 2)
                   .arg(l.value("north").toDouble(), 0, 'f', 2);
        if (i < map.size()) {
            const QJsonArray m = map[i].toArray();
            out += QObject::tr("  (map E %1  N %2)").arg(m.at(0).toDouble(), 0, 'f', 2).arg(m.at(1).toDouble(), 0, 'f', 2);
        }
        out += QLatin1Char('\n');
    }
    return out + QLatin1Char('\n') + QString::fromUtf8(QJsonDocument(parsed).toJson(QJsonDocument::Indented));
}

}  // namespace

// An image drawn as large as it fits, keeping its aspect ratio, with its name under it.
class ScaledImage : public QWidget {
public:
    explicit ScaledImage(QWidget* parent) : QWidget(parent) { setMinimumSize(120, 120); }
    void set(QPixmap pixmap, QString name) {
        pixmap_ = std::move(pixmap);
        name_ = std::move(name);
        update();
    }
    bool empty() const { return pixmap_.isNull(); }

protected:
    void paintEvent(QPaintEvent*) override {
        if (pixmap_.isNull()) return;
        QPainter p(this);
        p.setRenderHint(QPainter::SmoothPixmapTransform);
        const int textH = fontMetrics().height() + 4;
        const QSize box = QSize(width(), std::max(1, height() - textH));
        const QSize sz = pixmap_.size().scaled(box, Qt::KeepAspectRatio);
        const QRect r(QPoint((width() - sz.width()) / 2, 0), sz);
        p.drawPixmap(r, pixmap_);
        p.setPen(palette().color(QPalette::WindowText));
        p.drawText(QRect(0, r.bottom() + 2, width(), textH), Qt::AlignHCenter | Qt::AlignTop,
                   name_ + QStringLiteral("  (%1 \u00d7 %2 px)").arg(pixmap_.width()).arg(pixmap_.height()));
    }

private:
    QPixmap pixmap_;
    QString name_;
};

TranscriptPanel::TranscriptPanel(QWidget* parent)
    : QWidget(parent), header_(new QLabel(this)), imageRow_(new QWidget(this)), tabs_(new QTabWidget(this)),
      prompt_(textView(this)), answer_(textView(this)), parsed_(textView(this)) {
    header_->setWordWrap(true);
    header_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto* row = new QHBoxLayout(imageRow_);
    row->setContentsMargins(0, 0, 0, 0);
    for (int i = 0; i < 2; ++i) {
        auto* l = new ScaledImage(imageRow_);
        row->addWidget(l);
        images_ << l;
    }
    tabs_->addTab(prompt_, tr("Prompt"));
    tabs_->addTab(parsed_, tr("Parsed answer"));
    tabs_->addTab(answer_, tr("Raw response"));
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(header_);
    layout->addWidget(imageRow_, 3);
    layout->addWidget(tabs_, 2);
    layout->addStretch(0);
    clear(tr("Select a decision that has a transcript to see what the model was sent and answered."));
}

void TranscriptPanel::clear(const QString& message) {
    header_->setText(message);
    imageNames_.clear();
    for (auto* l : images_) l->set({}, {});
    imageRow_->hide();
    tabs_->hide();
    prompt_->clear();
    answer_->clear();
    parsed_->clear();
}

bool TranscriptPanel::showExchange(const std::filesystem::path& dir) {
    bool ok = false;
    const QByteArray exchangeBytes = readAll(dir / "exchange.json", &ok);
    const QJsonDocument doc = QJsonDocument::fromJson(exchangeBytes);
    if (!ok || !doc.isObject()) {
        clear(tr("Cannot read the exchange %1 (missing or not JSON).")
                  .arg(QString::fromStdString((dir / "exchange.json").string())));
        return false;
    }
    clear();
    const QJsonObject ex = doc.object();
    header_->setText(tr("<b>Exchange %1</b> \u2014 step %2, attempt %3, answer %4 \u00b7 %5 %6 \u00b7 HTTP %7 in %8 s"
                        " \u00b7 <b>%9</b>")
                         .arg(QString::fromStdString(dir.filename().string()))
                         .arg(ex.value("step").toInt() + 1)
                         .arg(ex.value("attempt").toInt())
                         .arg(ex.value("answer").toInt())
                         .arg(ex.value("provider").toString(), ex.value("model").toString())
                         .arg(ex.value("status").toInt())
                         .arg(ex.value("seconds").toDouble(), 0, 'f', 2)
                         .arg(ex.value("outcome").toString().toHtmlEscaped()));
    for (const auto& v : ex.value("images").toArray()) {
        const QString file = v.toObject().value("file").toString();
        if (file.isEmpty() || file.contains(QLatin1Char('/'))) continue;  // a bare name inside the folder
        QPixmap pm;
        if (imageNames_.size() < images_.size() && pm.load(QString::fromStdString((dir / file.toStdString()).string()))) {
            images_[imageNames_.size()]->set(pm, file);
            imageNames_ << file;
        }
    }
    imageRow_->setVisible(!imageNames_.isEmpty());
    tabs_->show();
    prompt_->setPlainText(QString::fromUtf8(readAll(dir / "prompt.txt")));
    answer_->setPlainText(pretty(readAll(dir / "response.json")));
    if (ex.contains("parsed"))
        parsed_->setPlainText(describeParsed(ex.value("parsed").toObject()));
    else
        parsed_->setPlainText(tr("No usable answer: %1").arg(ex.value("outcome").toString()));
    return true;
}

int TranscriptPanel::imageCount() const { return int(imageNames_.size()); }
QString TranscriptPanel::imageName(int i) const { return i >= 0 && i < imageNames_.size() ? imageNames_[i] : QString(); }
QString TranscriptPanel::promptText() const { return prompt_->toPlainText(); }
QString TranscriptPanel::answerText() const { return answer_->toPlainText(); }
QString TranscriptPanel::parsedText() const { return parsed_->toPlainText(); }
QString TranscriptPanel::headerText() const { return header_->text(); }

}  // namespace traverse::studio
