#include "shell/main_menu.h"

#include <algorithm>

#include "attnscope/builtin_models.h"
#include "widgets/draw_util.h"
#include "widgets/file_browser.h"
#include "panels/sentence_bar_panel.h"

namespace attnscope::gui {

void draw_key_help() {
    ImGui::TextUnformatted(
        "\xE2\x86\x90 / \xE2\x86\x92       previous / next query token\n"
        "\xE2\x86\x91 / \xE2\x86\x93       previous / next head\n"
        "PgUp / PgDn   previous / next layer\n"
        "Ctrl + / \xE2\x88\x92    bigger / smaller text (Ctrl 0: normal)\n"
        "Ctrl O        open a model file\n"
        "Alt \xE2\x86\x90 / \xE2\x86\x92   the sentence before / after\n"
        "Ctrl Z / Ctrl Y  undo / redo a change of layer, head, query or key\n"
        "F5            presentation mode (projector theme, large type)\n"
        "F11           full screen\n"
        "N / P         next / previous lesson step (--lesson)\n"
        "\xE2\x86\x92 \xE2\x86\x90 or Space / Bksp  next / previous step in the Steps view (no lesson playing)\n"
        "Ctrl Q        quit\n"
        "Enter         leave the sentence field (then the arrows move the query)\n"
        "\n"
        "Click a token chip: query token. Right-click: key token.\n"
        "Heatmap: Ctrl + wheel zooms, right-drag pans, click a cell to select it.\n"
        "Drop a model file or folder onto the window to open it.");
}

float MainMenu::draw(const FrameContext& frame) {
    if (!ImGui::BeginMainMenuBar()) return 0.0f;
    draw_file_menu(frame);
    if (ImGui::BeginMenu("Examples")) {
        if (const char* chosen = draw_example_items(frame)) frame.actions.set_text(chosen);
        ImGui::EndMenu();
    }
    draw_view_menu(frame);
    draw_colours_menu(frame);
    draw_help_menu(frame);
    const float height = ImGui::GetWindowSize().y;
    ImGui::EndMainMenuBar();
    return height;
}

void MainMenu::draw_file_menu(const FrameContext& frame) {
    if (!ImGui::BeginMenu("File")) return;
    if (ImGui::MenuItem("Open\xE2\x80\xA6", "Ctrl+O")) frame.actions.open_file_dialog();
    if (NativeFileDialog::available() && ImGui::MenuItem("Open with the built-in browser\xE2\x80\xA6"))
        frame.actions.open_in_app_browser();
    if (ImGui::BeginMenu("Built-in models")) {
        for (const BuiltinModel& m : builtin_models())
            if (ImGui::MenuItem(("builtin:" + m.name).c_str(), nullptr, frame.state.model_spec == "builtin:" + m.name))
                frame.actions.open_model("builtin:" + m.name);
        ImGui::EndMenu();
    }
    const auto& recent = frame.state.settings.recent_models;
    if (ImGui::BeginMenu("Recent", !recent.empty())) {
        for (const std::string& spec : recent)
            if (ImGui::MenuItem(spec.c_str())) frame.actions.open_model(spec);
        ImGui::Separator();
        if (ImGui::MenuItem("Clear the list")) frame.actions.clear_recent();
        ImGui::EndMenu();
    }
    ImGui::Separator();
    if (ImGui::BeginMenu("Export", frame.trace != nullptr)) {  // asks where to save (export.h)
        for (int k = 0; k < static_cast<int>(ExportKind::Count); ++k) {
            const auto kind = static_cast<ExportKind>(k);
            if (kind == ExportKind::CopyWeights) ImGui::Separator();
            const std::string label = std::string(kExportLabels[k]) + (writes_file(kind) ? "\xE2\x80\xA6" : "");  // ...: a dialog follows
            if (ImGui::MenuItem(label.c_str())) frame.actions.export_view(kind);
        }
        ImGui::EndMenu();
    }
    if (ImGui::MenuItem("Save session now")) frame.actions.save_session_now();
    if (!frame.state.notice.empty()) ImGui::TextDisabled("%s", frame.state.notice.c_str());
    ImGui::Separator();
    if (ImGui::MenuItem("Quit", "Ctrl+Q")) frame.actions.request_quit();
    ImGui::EndMenu();
}

void MainMenu::draw_view_menu(const FrameContext& frame) {
    if (!ImGui::BeginMenu("View")) return;
    for (int v = 0; v < static_cast<int>(ViewId::Count); ++v)
        if (ImGui::MenuItem(view_names(static_cast<ViewId>(v)).menu, nullptr, frame.state.front == static_cast<ViewId>(v)))
            frame.actions.show_view(static_cast<ViewId>(v));
    ImGui::Separator();
    if (ImGui::MenuItem("Back to the sentence before", "Alt \xE2\x86\x90", false, frame.state.can_go_back)) frame.actions.step_sentences(-1);
    if (ImGui::MenuItem("Forward", "Alt \xE2\x86\x92", false, frame.state.can_go_forward)) frame.actions.step_sentences(+1);
    if (ImGui::MenuItem("Undo selection", "Ctrl Z", false, frame.state.can_undo_selection)) frame.actions.step_selections(-1);
    if (ImGui::MenuItem("Redo selection", "Ctrl Y", false, frame.state.can_redo_selection)) frame.actions.step_selections(+1);
    ImGui::Separator();
    const float scale = frame.state.settings.font_scale;
    if (ImGui::MenuItem("Bigger text", "Ctrl +")) frame.actions.set_font_scale(scale * 1.15f);
    if (ImGui::MenuItem("Smaller text", "Ctrl \xE2\x88\x92")) frame.actions.set_font_scale(scale / 1.15f);
    if (ImGui::MenuItem("Normal text", "Ctrl 0")) frame.actions.set_font_scale(1.0f);
    ImGui::TextDisabled("text size %.0f%%", scale * 100.0f);
    ImGui::Separator();
    if (ImGui::MenuItem("Presentation mode", "F5", frame.state.presentation)) frame.actions.set_presentation(!frame.state.presentation);
    if (ImGui::MenuItem("Full screen", "F11", frame.state.fullscreen)) frame.actions.toggle_fullscreen();
    ImGui::EndMenu();
}

void MainMenu::draw_colours_menu(const FrameContext& frame) {
    if (!ImGui::BeginMenu("Colours")) return;
    const char* themes[] = {"Dark", "Light", "Projector (high contrast)"};
    for (int t = 0; t < static_cast<int>(ThemeId::Count); ++t)
        if (ImGui::MenuItem(themes[t], nullptr, frame.state.settings.theme == static_cast<ThemeId>(t)))
            frame.actions.set_theme(static_cast<ThemeId>(t));
    ImGui::Separator();
    ImGui::TextDisabled("heatmap colours (colour-blind safe)");
    for (int c = 0; c < static_cast<int>(Colormap::Count); ++c)
        if (ImGui::MenuItem(colormap_name(static_cast<Colormap>(c)), nullptr, frame.state.settings.colormap == static_cast<Colormap>(c)))
            frame.actions.set_colormap(static_cast<Colormap>(c));
    ImGui::EndMenu();
}

void MainMenu::draw_help_menu(const FrameContext& frame) {
    if (!ImGui::BeginMenu("Help")) return;
    if (ImGui::MenuItem("Keys and mouse\xE2\x80\xA6")) frame.actions.show_help();
    ImGui::Separator();
    ImGui::TextDisabled("AttnScope: look inside transformer attention");
    ImGui::EndMenu();
}

}  // namespace attnscope::gui
