// attnscope-cli export [--model PATH] --text TEXT --layer L --head H --out FILE(.svg|.csv|.json) [--field weights|scores]
#include <cstdio>

#include "attnscope/heatmap_export.h"
#include "cli_common.h"

namespace attnscope::cli {

namespace {

struct ExportOptions {
    std::string model = kDefaultModel;
    std::string text;
    int layer = 0;
    int head = 0;
    std::string out;
    std::string field = "weights";
};

void run_export(const ExportOptions& o) {
    if (o.field != "weights" && o.field != "scores")
        throw CliError{kUsage, "--field: expected weights or scores, got '" + o.field + "'"};
    const ModelPtr model = load_model_or_fail(o.model);
    const auto trace = trace_or_fail(*model, o.text);
    check_layer(*trace, o.layer);
    check_head(*trace, o.head);
    const auto field = o.field == "weights" ? HeatmapField::Weights : HeatmapField::Scores;
    auto written = export_head(*trace, o.layer, o.head, o.out, field);
    if (!written.ok()) {
        const bool format_problem = written.error().message.find("unknown export format") != std::string::npos;
        throw CliError{format_problem ? kUsage : kFailure, written.error().message};
    }
    std::printf("wrote %s\n", written.value().string().c_str());
}

}  // namespace

void add_export_command(CLI::App& app) {
    auto opts = std::make_shared<ExportOptions>();
    CLI::App* sub = app.add_subcommand("export", "Write one head's attention as .svg (heatmap), .csv or .json");
    sub->add_option("--model", opts->model, "builtin:NAME, a .json model, a .safetensors file or a model folder");
    add_memory_budget_option(sub);
    sub->add_option("--text", opts->text, "The text")->required();
    sub->add_option("--layer", opts->layer, "Layer (0-based)")->required();
    sub->add_option("--head", opts->head, "Head (0-based)")->required();
    sub->add_option("--out", opts->out, "Output file: .svg, .csv or .json")->required();
    sub->add_option("--field", opts->field, "weights (default) or scores (scaled, before the softmax)");
    on_run(sub, [opts] { run_export(*opts); });
}

}  // namespace attnscope::cli
