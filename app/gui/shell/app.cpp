// Sections: [SECTION] Setup  [SECTION] Panel registry  [SECTION] Frame  [SECTION] Layout
//           [SECTION] Actions
// Worker results, keys, popups and screenshots are in app_events.cpp.
#include "shell/app.h"

#include <algorithm>

#include "attnscope/model.h"
#include "panels/caption_panel.h"
#include "panels/compare_panel.h"
#include "widgets/draw_util.h"
#include "panels/heatmap_panel.h"
#include "panels/model_overview_panel.h"
#include "panels/playground_panel.h"
#include "panels/heads_panel.h"
#include "panels/lens_panel.h"
#include "panels/sentence_bar_panel.h"
#include "panels/status_bar_panel.h"
#include "panels/steps_panel.h"
#include "panels/token_lines_panel.h"
#include "panels/training_panel.h"
#include "panels/view_tabs_panel.h"

namespace attnscope::gui {

// [SECTION] Setup

App::App(GLFWwindow* window, LaunchOptions options, Settings settings, std::optional<std::filesystem::path> settings_file)
    : m_window(window), m_settings_file(std::move(settings_file)), m_options(std::move(options)) {
    m_state.settings = std::move(settings);
    if (m_options.theme) m_state.settings.theme = *m_options.theme;
    if (m_options.font_scale) m_state.settings.font_scale = *m_options.font_scale;
    if (m_options.colormap) m_state.settings.colormap = *m_options.colormap;
    m_state.front = m_options.view;
    m_state.compare_text = m_options.compare;
    if (m_options.text) m_state.text = *m_options.text;
    m_state.target = m_options.target;
    if (m_options.attention) m_state.stack = *m_options.attention;
    if (m_options.field) m_state.field = *m_options.field;
    m_theme = make_theme(m_state.settings.theme);
    register_panels();
    start_lesson();     // sets the first step's model and text before init() loads them
    restore_session();  // --session FILE, or the autosaved one beside the settings
}

App::~App() = default;

bool App::init(std::string& error) {
    if (!m_shader.init(error)) return false;
    // The workers wake the event loop when they publish, so an idle window can sleep.
    m_worker = std::make_unique<TraceWorker>([] { glfwPostEmptyEvent(); });
    m_compare_worker = std::make_unique<TraceWorker>([] { glfwPostEmptyEvent(); });
    m_projections = std::make_unique<ProjectionCache>([] { glfwPostEmptyEvent(); });
    m_attention = std::make_unique<AttentionFetcher>([] { glfwPostEmptyEvent(); });
    m_loader = std::make_unique<ModelLoader>([] { glfwPostEmptyEvent(); });
    m_startup_load = m_loader->request(m_options.model.value_or(kDefaultModel));
    if (!m_options.screenshot_mode() && !m_lesson.active()) m_sentence_bar->focus_text();  // type at once; a lesson keeps N / P
    return true;
}

// [SECTION] Panel registry

template <class T, class... Args>
T* App::add(Placement where, Args&&... args) {
    auto panel = std::make_unique<T>(std::forward<Args>(args)...);
    T* raw = panel.get();
    m_panels.push_back({where, std::move(panel)});
    return raw;
}

// Every panel of the app, once. A new view is one line here plus its .h/.cpp pair.
void App::register_panels() {
    using Bar = Placement::Bar;
    m_sentence_bar = add<SentenceBarPanel>({Bar::Top});
    add<ViewTabsPanel>({Bar::Tabs});
    m_heatmap = add<HeatmapPanel>({Bar::None, ViewId::Heatmap});
    add<TokenLinesPanel>({Bar::None, ViewId::Tokens});
    m_overview = add<ModelOverviewPanel>({Bar::None, ViewId::Overview});
    m_steps = add<StepsPanel>({Bar::None, ViewId::Steps});
    add<ComparePanel>({Bar::None, ViewId::Compare});
    add<PlaygroundPanel>({Bar::None, ViewId::Playground});
    add<HeadsPanel>({Bar::None, ViewId::Heads}, [] { glfwPostEmptyEvent(); });
    add<LensPanel>({Bar::None, ViewId::Lens}, [] { glfwPostEmptyEvent(); });
    m_training = add<TrainingPanel>({Bar::None, ViewId::Training}, [] { glfwPostEmptyEvent(); }, m_options.train_steps,
                                    m_options.training == "induction" ? TrainingKind::InductionHeads : TrainingKind::AmbiguousWords);
    add<CaptionPanel>({Bar::Caption});
    add<StatusBarPanel>({Bar::Bottom});
}

Panel* App::bar(Placement::Bar b) const {
    for (const Registered& r : m_panels)
        if (r.where.bar == b) return r.panel.get();
    return nullptr;
}

Panel* App::view_panel(ViewId v) const {
    for (const Registered& r : m_panels)
        if (r.where.bar == Placement::Bar::None && r.where.view == v) return r.panel.get();
    return nullptr;
}

// [SECTION] Frame

void App::before_frame() {
    const float scale = m_state.settings.font_scale;
    if (scale != m_font_scale_applied || m_state.settings.theme != m_theme_applied) {
        float content_scale = 1.0f, unused = 1.0f;
        glfwGetWindowContentScale(m_window, &content_scale, &unused);  // HiDPI screens
        if (scale != m_font_scale_applied) m_fonts = rebuild_fonts(scale * content_scale);
        apply_imgui_style(m_state.settings.theme, scale * content_scale);
        m_theme = make_theme(m_state.settings.theme);
        m_font_scale_applied = scale;
        m_theme_applied = m_state.settings.theme;
    }
    poll_model_loader();
    poll_trace_worker();
    update_compare();
    update_projection();
    update_attention();
    update_lesson();
    apply_session_selection();
    record_history();
    autosave_session();
    if (!m_native_dialog.running())
        if (auto chosen = m_native_dialog.take_result(); chosen && !chosen->empty()) open_model(*chosen);
    poll_save_dialog();
    if (!m_png_export_next.empty()) m_png_export = std::move(m_png_export_next);  // written after this frame's render
    m_png_export_next.clear();
}

void App::draw() {
    m_regions.clear();
    // Take the trace once per frame: this shared_ptr keeps it alive until the frame is drawn. The
    // views get the chosen kind of attention's bundle (an encoder-decoder's), which it owns too.
    const TraceBundle* bundle = view_bundle();
    const Trace* trace = bundle ? bundle->trace.get() : nullptr;
    // Fewer than kCompactLines lines of the interface's type fit the window's height.
    constexpr float kCompactLines = 36.0f;
    m_state.compact = m_state.presentation || ImGui::GetIO().DisplaySize.y < kCompactLines * ImGui::GetFontSize();
    if (trace) clamp_to_view(m_state.selection, *trace);  // the encoder and the decoder may differ in shape
    // What the panels read of attention: the trace's kept matrices, or what the fetcher has.
    const AttentionReader attention(trace, trace ? m_attention->fetched(*trace) : nullptr);
    m_wants = AttentionWants{};  // the panels drawn now say what they show
    FrameContext frame{m_state, m_state.selection, bundle,     trace,       m_theme, m_fonts,
                       m_shader, *this,              *m_projections, attention, m_wants, *m_attention,
                       m_bundle.get(), std::nullopt};
    if (m_bundle && m_bundle->encoder_decoder()) frame.stack = m_state.stack;
    handle_keys();
    const float menu_height = m_menu.draw(frame);
    layout_panels(frame, menu_height);
    draw_popups(frame);
    draw_notice_toast(frame);
}

// An export, a save or why one failed, over the views for a few seconds where everyone sees it
// (the File menu keeps the line too): exports land in the working folder, so say which file.
void App::draw_notice_toast(const FrameContext& frame) {
    const double now = glfwGetTime();
    if (m_state.notice != m_toast_text) {
        m_toast_text = m_state.notice;
        m_toast_since = now;
    }
    if (m_toast_text.empty() || now - m_toast_since > kToastSeconds) return;
    const ImVec2 display = ImGui::GetIO().DisplaySize;
    const float width = std::min(display.x * 0.7f, ImGui::GetFontSize() * 40.0f);
    ImGui::SetNextWindowPos(ImVec2(display.x * 0.5f, display.y - status_bar_height() - ImGui::GetFontSize()), ImGuiCond_Always,
                            ImVec2(0.5f, 1.0f));
    // Both sides set, so the toast shows in the very frame it appears (ImGui hides an auto-sized
    // window's first frame): a script's export and screenshot in one frame see it too.
    const ImVec2 padding = ImGui::GetStyle().WindowPadding;
    const float text_h = ImGui::CalcTextSize(m_toast_text.c_str(), nullptr, false, width - 2 * padding.x).y;
    ImGui::SetNextWindowSize(ImVec2(width, std::min(text_h + 2 * padding.y, display.y * 0.4f)));
    ImGui::PushStyleColor(ImGuiCol_WindowBg, frame.theme.chip_query);
    ImGui::PushStyleColor(ImGuiCol_Text, readable_text_on(frame.theme.chip_query));
    const ImGuiWindowFlags flags = ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoInputs | ImGuiWindowFlags_NoSavedSettings |
                                   ImGuiWindowFlags_NoFocusOnAppearing | ImGuiWindowFlags_NoNav;
    if (ImGui::Begin("##notice", nullptr, flags)) {
        text_wrapped_any_length(m_toast_text);
        report_region("notice", ImGui::GetWindowPos(),
                      ImVec2(ImGui::GetWindowPos().x + ImGui::GetWindowSize().x, ImGui::GetWindowPos().y + ImGui::GetWindowSize().y));
    }
    ImGui::End();
    ImGui::PopStyleColor(2);
}

// [SECTION] Layout

constexpr float kCaptionFraction = 0.38f;  // of the width, for a lesson's caption in presentation mode

void App::layout_panels(const FrameContext& frame, float menu_height) {
    const ImVec2 display = ImGui::GetIO().DisplaySize;
    const ImGuiStyle& style = ImGui::GetStyle();
    float y = menu_height;
    // Bars take the height their content took last frame (the sentence bar grows with its chips).
    auto bar_height = [&](Panel* p, float lines) {
        const float minimum = ImGui::GetFrameHeightWithSpacing() * lines + style.WindowPadding.y * 2;
        return std::clamp(std::max(p->content_height(), minimum), minimum, display.y * 0.35f);
    };
    Panel* top = bar(Placement::Bar::Top);
    // Presentation mode: the sentence bar is slim too, and takes just the height of its content (an
    // encoder-decoder's two fields side by side and their chips: two lines of large type, but the
    // chips' line is lower than a field's line with spacing).
    const bool slim_top = m_state.compact && top->content_height() > 0.0f;
    const float top_h = slim_top ? std::min(top->content_height(), display.y * 0.35f) : bar_height(top, 2.0f);
    draw_bar(top, frame, y, top_h, slim_top);
    y += top_h;
    Panel* tabs = bar(Placement::Bar::Tabs);
    // Presentation mode squeezes the tabs onto one slim line of smaller type (view_tabs_panel.cpp):
    // they take just that height, not the full-size line the minimum is made of.
    const bool slim_tabs = m_state.compact && tabs->content_height() > 0.0f;
    const float tabs_h = slim_tabs ? tabs->content_height() : bar_height(tabs, 1.0f);
    draw_bar(tabs, frame, y, tabs_h, m_state.compact);
    y += tabs_h;

    const float status_h = status_bar_height();
    // A lesson's caption: in presentation mode it takes the side view's place (the views keep
    // the full height for large cells), otherwise a bar under the views.
    Panel* caption = bar(Placement::Bar::Caption);
    const bool caption_beside = m_state.lesson.active() && m_state.compact;
    const float caption_h = m_state.lesson.active() && !caption_beside ? bar_height(caption, 4.0f) : 0.0f;
    const float height = std::max(50.0f, display.y - y - status_h - caption_h);
    // Presentation mode shows one view, and the caption beside it when a lesson plays.
    const float splitter_w = m_state.compact ? 0.0f : std::max(6.0f, ImGui::GetFontSize() * 0.4f);
    const float side_w = !m_state.compact ? std::floor(display.x * m_state.settings.side_fraction)
                                               : caption_beside ? std::floor(display.x * kCaptionFraction) : 0.0f;
    const float main_w = display.x - side_w - splitter_w;
    view_panel(m_state.front)->draw(frame, ImVec2(0, y), ImVec2(main_w, height));
    if (!m_state.compact) {
        draw_splitter(main_w, y, height);
        const ViewId side = m_state.front == ViewId::Overview ? ViewId::Heatmap : ViewId::Overview;
        view_panel(side)->draw(frame, ImVec2(main_w + splitter_w, y), ImVec2(side_w, height));
    }
    if (caption_beside) caption->draw(frame, ImVec2(main_w, y), ImVec2(side_w, height));
    else if (caption_h > 0.0f) caption->draw(frame, ImVec2(0, y + height), ImVec2(display.x, caption_h));
    draw_bar(bar(Placement::Bar::Bottom), frame, display.y - status_h, status_h, m_state.compact);
}

// Presentation mode: the class reads the views, not the status, so the bar keeps one slim line of
// small type (status_bar_panel.cpp).
float App::status_bar_height() const {
    const ImGuiStyle& style = ImGui::GetStyle();
    if (m_state.compact) return ImGui::GetFontSize() * kCompactFontScale + style.FramePadding.y * 2;
    return ImGui::GetFrameHeight() + style.WindowPadding.y * 2;
}

// A bar across the window. `slim`: the padding above and below its content is a frame's, not a
// window's (presentation mode's bars of small type would otherwise be mostly padding), and the
// bar may be lower than ImGui's minimum window size, which would overlap the panel below.
void App::draw_bar(Panel* panel, const FrameContext& frame, float y, float height, bool slim) {
    const ImVec2 padding(ImGui::GetStyle().WindowPadding.x, ImGui::GetStyle().FramePadding.y);
    if (slim) {
        ImGui::PushStyleVar(ImGuiStyleVar_WindowPadding, padding);
        ImGui::PushStyleVar(ImGuiStyleVar_WindowMinSize, ImVec2(1, 1));
    }
    panel->draw(frame, ImVec2(0, y), ImVec2(ImGui::GetIO().DisplaySize.x, height));
    if (slim) ImGui::PopStyleVar(2);
}

// The handle between the main and the side view: drag it to share the width differently.
void App::draw_splitter(float x, float y, float height) {
    const float w = std::max(6.0f, ImGui::GetFontSize() * 0.4f);
    ImGui::SetNextWindowPos(ImVec2(x, y));
    ImGui::SetNextWindowSize(ImVec2(w, height));
    ImGui::PushStyleVar(ImGuiStyleVar_WindowPadding, ImVec2(0, 0));
    ImGui::PushStyleVar(ImGuiStyleVar_WindowMinSize, ImVec2(1, 1));  // the default minimum would cover the side view
    ImGui::Begin("##splitter", nullptr, ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoSavedSettings |
                                            ImGuiWindowFlags_NoBringToFrontOnFocus | ImGuiWindowFlags_NoBackground);
    ImGui::InvisibleButton("drag", ImVec2(w, height));
    if (ImGui::IsItemHovered() || ImGui::IsItemActive()) ImGui::SetMouseCursor(ImGuiMouseCursor_ResizeEW);
    if (ImGui::IsItemActive()) {
        const float width = ImGui::GetIO().DisplaySize.x;
        float& f = m_state.settings.side_fraction;
        f = std::clamp(f - ImGui::GetIO().MouseDelta.x / width, 0.15f, 0.7f);
    }
    const ImU32 color = ImGui::GetColorU32(ImGui::IsItemActive() ? ImGuiCol_SeparatorActive : ImGuiCol_Separator);
    ImGui::GetWindowDrawList()->AddRectFilled(ImVec2(x + w * 0.35f, y), ImVec2(x + w * 0.65f, y + height), color);
    ImGui::End();
    ImGui::PopStyleVar(2);
}

// [SECTION] Actions

void App::set_text(const std::string& text) {
    m_state.text = text;
    if (m_state.model) m_worker->request(m_state.model, text, m_state.target, wants_value_weighted());
}

// A target the user wrote stays forced while they edit the source, until they ask for the
// model's translation again (nullopt).
void App::set_target(std::optional<std::string> target) {
    m_state.target = std::move(target);
    if (m_state.model) m_worker->request(m_state.model, m_state.text, m_state.target, wants_value_weighted());
}

void App::set_compare_input(const std::string& text) {
    m_compare_input = text;
    glfwPostEmptyEvent();  // the request goes out in the next update step: do not wait for an event
}

void App::open_model(const std::string& spec) {
    if (spec.empty()) return;
    m_loader->request(spec);
}

void App::use_model(ModelPtr model, const std::string& label) {
    if (!model) return;
    m_state.model = std::move(model);
    m_state.model_spec = label;
    m_state.load_error.clear();
    set_text(m_state.text);
}

void App::open_file_dialog() {
    const std::string recent = m_state.settings.recent_models.empty() ? "" : m_state.settings.recent_models.front();
    const std::filesystem::path start = recent.empty() || recent.rfind("builtin:", 0) == 0
                                            ? std::filesystem::current_path()
                                            : std::filesystem::path(recent).parent_path();
    if (NativeFileDialog::available()) m_native_dialog.start(zenity_open_arguments(start));
    else m_browser.open(start);
}

void App::open_in_app_browser() { m_browser.open(std::filesystem::current_path()); }

void App::set_theme(ThemeId theme) { m_state.settings.theme = theme; }  // applied before the next frame

void App::set_font_scale(float scale) { m_state.settings.font_scale = std::clamp(scale, 0.5f, 4.0f); }

void App::clear_recent() {
    m_state.settings.recent_models.clear();
    save_settings_now();
}

}  // namespace attnscope::gui
