// attnscope-cli train --corpus FILE|builtin:induction [--corpus FILE ...] --config FILE --out FILE [--steps N] [--seed S] [--snapshot-every N]
// Trains an own-format model on the CPU and writes it as JSON. Prints the loss every
// training.log_every steps (from the config) with a progress bar; with --snapshot-every N it also
// writes the model as it was every N steps to OUT_STEM.snapshots/step-NNNNNN.json, so the app can
// replay how attention formed. The same corpus, config and seed give the same file, bit for bit.
#include <chrono>
#include <cstdio>
#include <filesystem>

#include "attnscope/atomic_file.h"
#include "attnscope/induction_demo.h"
#include "attnscope/json_model.h"
#include "attnscope/train.h"
#include "attnscope/text.h"
#include "cli_common.h"

namespace attnscope::cli {

namespace {

namespace fs = std::filesystem;

struct TrainOptions {
    std::vector<std::string> corpora;  // --corpus, once or more
    std::string config;
    std::string out;
    int steps = 0;           // 0: the config's
    long long seed = -1;     // -1: the config's
    int snapshot_every = 0;  // 0: no snapshot files
};

// Atomically, so a crash never leaves half a model behind.
void write_text_file(const fs::path& file, const std::string& text) {
    const auto written = write_file_atomically(file, text);
    if (!written.ok()) throw CliError{kFailure, written.error().message};
}

// The made-up-word corpus of the induction-head demo (attnscope/induction_demo.h), by name.
constexpr const char* kInductionCorpus = "builtin:induction";

fs::path snapshot_dir(const fs::path& out) { return out.parent_path() / (out.stem().string() + ".snapshots"); }

std::string snapshot_name(int step) {
    char name[32];
    std::snprintf(name, sizeof name, "step-%06d.json", step);
    return name;
}

// An empty folder for this run's snapshots; old step-*.json files from an earlier run go.
void prepare_snapshot_dir(const fs::path& dir) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) throw CliError{kFailure, dir.string() + ": could not create: " + ec.message()};
    for (const auto& entry : fs::directory_iterator(dir)) {
        const std::string name = entry.path().filename().string();
        if (name.rfind("step-", 0) == 0 && entry.path().extension() == ".json") fs::remove(entry.path(), ec);
    }
}

std::string progress_bar(int step, int total) {
    constexpr int kWidth = 30;
    const int filled = total > 0 ? static_cast<int>(static_cast<long long>(step) * kWidth / total) : kWidth;
    return "[" + std::string(static_cast<std::size_t>(filled), '#') + std::string(static_cast<std::size_t>(kWidth - filled), '-') + "]";
}

TrainingConfig load_config(const TrainOptions& o) {
    auto config = load_training_config(o.config);
    if (!config.ok()) throw CliError{kBadInput, config.error().message};
    TrainingConfig c = config.value();
    if (o.steps > 0) c.options.steps = o.steps;
    if (o.seed >= 0) c.options.seed = static_cast<std::uint32_t>(o.seed);
    c.options.snapshot_every = o.snapshot_every;
    return c;
}

void print_header(const Trainer& trainer) {
    const TrainingConfig& c = trainer.config();
    const TransformerConfig& m = c.shape.config;
    std::printf("training %s (%s): %zu sentences, vocabulary of %d, %lld parameters\n", escape_for_terminal(c.name).c_str(),
                objective_name(c.objective), trainer.n_sentences(), c.shape.vocab_size, trainer.n_parameters());
    std::printf("  d_model %d, %d heads, %d layers, d_ff %d, %s; %d steps of %d sentences, seed %u\n", m.d_model,
                m.n_heads, m.n_layers, m.d_ff, m.causal ? "causal" : "bidirectional", c.options.steps,
                c.options.batch_size, c.options.seed);
    if (c.options.shards > 1) std::printf("  each batch in %d shards, one thread each\n", c.options.shards);
    if (!c.options.supervises_attention()) return;
    std::string heads;
    for (const AttentionSupervision& s : c.options.attention_supervision) {
        if (!s.active()) continue;
        char head[96];
        std::snprintf(head, sizeof head, "%sL%d H%d (%s, weight %.2f)", heads.empty() ? "" : ", ", s.layer, s.head,
                      deciding_keys_name(s.keys), static_cast<double>(s.weight));
        heads += head;
    }
    const auto [supervised, labelled] = trainer.supervised_share();
    std::printf("  supervised attention: %s taught to look at deciding words at %zu of %zu labelled ambiguous words\n",
                heads.c_str(), supervised, labelled);
}

void run_train(const TrainOptions& o) {
    const TrainingConfig config = load_config(o);
    std::vector<Corpus> corpora;
    for (const std::string& file : o.corpora) {
        if (file == kInductionCorpus) {  // generated, not read: the Training view's induction run
            corpora.push_back(induction_corpus());
            continue;
        }
        auto corpus = load_corpus(file, corpus_format_of(config.objective));
        if (!corpus.ok()) throw CliError{kBadInput, corpus.error().message};
        corpora.push_back(std::move(corpus).value());
    }
    auto created = Trainer::create(config, corpora);
    if (!created.ok()) throw CliError{kBadInput, created.error().message};
    Trainer& trainer = *created.value();

    const fs::path out(o.out);
    const fs::path snapshots = snapshot_dir(out);
    if (o.snapshot_every > 0) prepare_snapshot_dir(snapshots);
    print_header(trainer);
    std::fflush(stdout);

    const auto start = std::chrono::steady_clock::now();
    const int log_every = config.options.log_every;
    double loss_sum = 0.0;  // since the last printed line
    int loss_count = 0;
    float last_mean = 0.0f;
    int snapshot_count = 0;
    trainer.run([&](const TrainingProgress& p) {
        if (p.snapshot && o.snapshot_every > 0) {
            write_text_file(snapshots / snapshot_name(p.snapshot->step), write_json_model(*p.snapshot->model));
            ++snapshot_count;
        }
        if (p.step == 0) return;  // the step-0 snapshot: nothing trained yet
        loss_sum += p.loss;
        ++loss_count;
        if (p.step % log_every != 0 && p.step != p.total_steps) return;
        last_mean = static_cast<float>(loss_sum / loss_count);
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        std::printf("step %6d/%d %s %3d%%  loss %.3f  lr %.2e  |grad| %.2f  %.1f s", p.step, p.total_steps,
                    progress_bar(p.step, p.total_steps).c_str(), static_cast<int>(100LL * p.step / p.total_steps),
                    static_cast<double>(last_mean), static_cast<double>(p.learning_rate),
                    static_cast<double>(p.grad_norm), seconds);
        if (config.options.supervises_attention())  // the last step's, beside the words' loss
            std::printf("  attention loss %.3f", static_cast<double>(trainer.last_attention_loss()));
        std::printf("\n");
        std::fflush(stdout);
        loss_sum = 0.0;
        loss_count = 0;
    });
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    const std::string json = write_json_model(*trainer.export_model());
    write_text_file(out, json);
    std::printf("done in %.1f s: loss %.3f (the last %d steps), %.3f on a fixed sample of the corpus\n", seconds,
                static_cast<double>(last_mean), std::min(log_every, config.options.steps),
                static_cast<double>(trainer.latest_snapshot()->loss));
    std::printf("wrote %s (%zu KB)\n", out.string().c_str(), json.size() / 1024);
    if (o.snapshot_every > 0) std::printf("wrote %d snapshots to %s/\n", snapshot_count, snapshots.string().c_str());
}

}  // namespace

void add_train_command(CLI::App& app) {
    auto opts = std::make_shared<TrainOptions>();
    CLI::App* sub = app.add_subcommand("train", "Train an own-format model on a corpus (CPU) and write it as JSON");
    sub->add_option("--corpus", opts->corpora,
                    "Corpus file: one sentence a line, optionally <TAB>word=sense; give it more than once to train on "
                    "several (a file given twice counts twice); builtin:induction: the made-up words of the induction-head demo")
        ->required();
    sub->add_option("--config", opts->config, "Training config (JSON): model shape, objective, hyperparameters")->required();
    sub->add_option("--out", opts->out, "Where to write the trained model (.json)")->required();
    sub->add_option("--steps", opts->steps, "Optimizer steps (default: the config's)")->check(CLI::Range(1, 100'000'000));
    sub->add_option("--seed", opts->seed, "Random seed (default: the config's)")->check(CLI::Range(0LL, 4294967295LL));
    sub->add_option("--snapshot-every", opts->snapshot_every,
                    "Also write the model every N steps to OUT_STEM.snapshots/step-NNNNNN.json")
        ->check(CLI::Range(1, 100'000'000));
    on_run(sub, [opts] { run_train(*opts); });
}

}  // namespace attnscope::cli
