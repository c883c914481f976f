#pragma once
// One recorded model exchange (a transcript folder's NNNN/, docs/vlm.md): the images the model was
// sent (terrain and hazard views), the step's prompt, the raw answer and what the parser made of it.
#include <QWidget>

#include <filesystem>

class QLabel;
class QPlainTextEdit;
class QTabWidget;

namespace traverse::studio {

class TranscriptPanel : public QWidget {
    Q_OBJECT

public:
    explicit TranscriptPanel(QWidget* parent = nullptr);

    // Shows the exchange in `exchangeDir` (a Decision's or Provenance's transcript reference).
    // Returns false, showing why, when the folder or its exchange.json cannot be read.
    bool showExchange(const std::filesystem::path& exchangeDir);
    // Shows `message` (e.g. "no transcript for this decision") instead of an exchange.
    void clear(const QString& message = {});

    // What is shown, for tests and callers.
    int imageCount() const;                 // images loaded (0 when none)
    QString imageName(int i) const;         // e.g. "terrain.jpg"
    QString promptText() const;
    QString answerText() const;             // the response body as received (pretty-printed JSON)
    QString parsedText() const;             // the parsed answer, or the outcome when unusable
    QString headerText() const;

private:
    QLabel* header_;
    QWidget* imageRow_;
    QList<class ScaledImage*> images_;
    QStringList imageNames_;
    QTabWidget* tabs_;
    QPlainTextEdit* prompt_;
    QPlainTextEdit* answer_;
    QPlainTextEdit* parsed_;
};

}  // namespace traverse::studio
