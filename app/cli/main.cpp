// attnscope-cli: the headless half of AttnScope (design.md, "attnscope-cli"). Each command
// lives in its own cmd_*.cpp; this file parses, dispatches and turns errors into exit codes:
// 0 ok, 2 bad usage, 3 a bad input file or text, 1 anything else.
#include <cstdio>
#include <iostream>
#include <new>

#include "attnscope/bench.h"
#include "attnscope/text.h"
#include "cli_common.h"

int main(int argc, char** argv) {
    using namespace attnscope::cli;
    attnscope::tune_runtime_for_traces();
    CLI::App app{"attnscope-cli: look inside transformer attention from the command line"};
    app.require_subcommand(1);
    add_info_command(app);
    add_tokenize_command(app);
    add_trace_command(app);
    add_export_command(app);
    add_probe_command(app);
    add_heads_command(app);
    add_ablate_command(app);
    add_lens_command(app);
    add_predict_command(app);
    add_bench_command(app);
    add_train_command(app);

    try {
        app.parse(argc, argv);  // runs the chosen command's callback
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        app.exit(e);  // prints the message and the usage hint
        return kUsage;
    } catch (const CliError& e) {
        std::cerr << "attnscope-cli: " << attnscope::escape_for_terminal(e.message, true) << "\n";
        return e.code;
    } catch (const std::bad_alloc&) {
        // Before every large allocation the commands check the memory budget; this is the rest
        // (the machine's memory taken by others, a ulimit), still a message and not an abort.
        std::cerr << "attnscope-cli: out of memory: the input needs more memory than this process can get\n";
        return kBadInput;
    } catch (const std::exception& e) {
        std::cerr << "attnscope-cli: unexpected error: " << e.what() << "\n";
        return kFailure;
    }
    std::cout.flush();
    if (!std::cout) {
        std::cerr << "attnscope-cli: could not write the output\n";
        return kFailure;
    }
    return kOk;
}
