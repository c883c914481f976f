#pragma once
// The propose -> validate -> export workflow plugged into the main window: the Propose and Validate
// docks, a Plan menu (Propose, Validate, Export..., Settings...) and the connections between the
// panels, the plan document and the map. Wiring only; the panels and the document do the work.
#include <QObject>

class QAction;

namespace traverse::studio {

class MainWindow;
class ProposePanel;
class ValidationPanel;

class WorkflowPanels : public QObject {
    Q_OBJECT

public:
    // Builds the docks and the menu in `window` (which owns this object).
    explicit WorkflowPanels(MainWindow& window);

    ProposePanel* proposePanel() const { return propose_; }
    ValidationPanel* validationPanel() const { return validate_; }
    QAction* exportAction() const { return export_; }

public slots:
    void showExportDialog();
    void showSettingsDialog();

private:
    MainWindow& window_;
    ProposePanel* propose_;
    ValidationPanel* validate_;
    QAction* export_ = nullptr;
};

}  // namespace traverse::studio
