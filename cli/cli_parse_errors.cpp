// Command-line mistakes in kiln's words: unknown commands and options with the nearest correct
// spelling, and, for `kiln record`, words meant as the command to record but given without `--`.
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <optional>
#include <string_view>

#include "cli/commands.h"
#include "record/record.h"

namespace kiln::cli {

namespace {

std::string lowercase(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower;
}

// Edits (insert, delete, replace, swap two neighbours) turning `a` into `b`.
size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      d[i][j] = std::min(
          {d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.size()][b.size()];
}

// The candidate the user most likely meant by `word`: the only one it begins, or the nearest
// within one edit (two for words longer than 5 characters), ignoring case and leading dashes.
std::optional<std::string> nearest(std::string_view word, const std::vector<std::string>& names) {
  const auto bare = [](std::string_view name) {
    return lowercase(name.substr(std::min(name.find_first_not_of('-'), name.size())));
  };
  const std::string typed = bare(word);
  if (typed.empty()) return std::nullopt;
  std::vector<std::string> extending;
  for (const std::string& name : names)
    if (typed.size() >= 2 && bare(name).starts_with(typed)) extending.push_back(name);
  if (extending.size() == 1) return extending.front();
  const size_t allowed = typed.size() <= 2 ? 0 : typed.size() <= 5 ? 1 : 2;
  std::optional<std::string> best;
  size_t best_distance = allowed + 1;
  for (const std::string& name : names) {
    const size_t distance = edit_distance(typed, bare(name));
    if (distance < best_distance) best = name, best_distance = distance;
  }
  return best;
}

std::string did_you_mean(std::string_view word, const std::vector<std::string>& names) {
  const std::optional<std::string> name = nearest(word, names);
  return name ? "; did you mean '" + *name + "'?" : "";
}

std::vector<std::string> command_names(CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::App* sub : app.get_subcommands({})) names.push_back(sub->get_name());
  return names;
}

std::vector<std::string> option_names(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::Option* option : app.get_options()) {
    for (const std::string& name : option->get_lnames()) names.push_back("--" + name);
    for (const std::string& name : option->get_snames()) names.push_back("-" + name);
  }
  return names;
}

bool is_option(std::string_view word) {
  return word.size() > 1 && word[0] == '-';
}

// No command, or a first word that is none.
void report_missing_command(CLI::App& app, int argc, char** argv) {
  std::string commands;
  for (const std::string& name : command_names(app))
    commands += (commands.empty() ? "" : ", ") + name;
  const std::string word = argc > 1 ? argv[1] : "";
  if (word.empty()) {
    std::fprintf(stderr, "kiln: which command? one of %s (kiln --help)\n", commands.c_str());
  } else if (is_option(word)) {
    const std::string name = word.substr(0, word.find('='));
    std::fprintf(stderr, "kiln: unknown option '%s'%s; the commands are %s (kiln --help)\n",
                 name.c_str(), did_you_mean(name, option_names(app)).c_str(), commands.c_str());
  } else {
    const std::string suggestion = did_you_mean(word, command_names(app));
    std::fprintf(
        stderr, "kiln: unknown command '%s'%s\n", word.c_str(),
        suggestion.empty() ? ("; the commands are " + commands).c_str() : suggestion.c_str());
  }
}

// The positions in argv (below argc), in order, of the words CLI11 did not take (`extras`, in no
// particular order). Matched from the end: extras follow what CLI11 took, and a word may occur
// both as an option's value and as an extra (`-o ls ls`).
std::vector<int> extra_positions(std::vector<std::string> extras, int argc, char** argv) {
  std::vector<int> positions;
  for (int i = argc - 1; i > 1 && !extras.empty(); --i) {
    const auto extra = std::find(extras.begin(), extras.end(), argv[i]);
    if (extra == extras.end()) continue;
    extras.erase(extra);
    positions.insert(positions.begin(), i);
  }
  return positions;
}

// `kiln record -o e.folded ls`: "ls" was meant as the command to record.
void report_command_without_separator(const CLI::App& record, const std::vector<int>& extras,
                                      int argc, char** argv) {
  std::vector<std::string> kept{"kiln"}, command;
  for (int i = 1; i < argc; ++i)
    (std::find(extras.begin(), extras.end(), i) != extras.end() ? command : kept)
        .push_back(argv[i]);
  const int first = extras.front();
  const CLI::Option* before = first > 2 ? record.get_option_no_throw(argv[first - 2]) : nullptr;
  std::string why = "unexpected argument '" + std::string(argv[first]) + "'";
  if (before && before->get_type_size_max() > 0)
    why = std::string(argv[first - 2]) + " takes one " + before->get_type_name() + " per use";
  std::fprintf(stderr, "kiln record: %s; to record a command put it after --: %s -- %s\n",
               why.c_str(), record::shell_words(kept).c_str(),
               record::shell_words(command).c_str());
}

}  // namespace

int report_parse_error(CLI::App& app, const CLI::ParseError& error, int argc, char** argv) {
  if (error.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) {
    app.exit(error);  // --help, --version
    return kSuccess;
  }
  const std::vector<CLI::App*> parsed = app.get_subcommands();
  if (parsed.empty()) {
    report_missing_command(app, argc, argv);
    return kInputError;
  }
  const CLI::App& sub = *parsed.front();
  const std::string who = "kiln " + sub.get_name();
  if (dynamic_cast<const CLI::ExtrasError*>(&error)) {
    const std::vector<int> extras = extra_positions(app.remaining(true), argc, argv);
    if (extras.empty()) {  // not found in argv: say what CLI11 says
      std::fprintf(stderr, "%s: %s (%s --help)\n", who.c_str(), error.what(), who.c_str());
      return kInputError;
    }
    const std::string first = argv[extras.front()];
    if (!is_option(first) && sub.get_name() == "record") {
      report_command_without_separator(sub, extras, argc, argv);
      return kInputError;
    }
    const auto option =
        std::find_if(extras.begin(), extras.end(), [&](int i) { return is_option(argv[i]); });
    if (option != extras.end()) {
      std::string name = argv[*option];
      name = name.substr(0, name.find('='));
      std::fprintf(stderr, "%s: unknown option '%s'%s (%s --help)\n", who.c_str(), name.c_str(),
                   did_you_mean(name, option_names(sub)).c_str(), who.c_str());
    } else {
      std::fprintf(stderr, "%s: unexpected argument '%s' (%s --help)\n", who.c_str(), first.c_str(),
                   who.c_str());
    }
    return kInputError;
  }
  // CLI11 says "Could not convert: --frequency = abc"; kiln names the value and its type.
  const std::string text = error.what(), prefix = "Could not convert: ";
  const size_t equals = text.find(" = ");
  const CLI::Option* option =
      text.starts_with(prefix) && equals != std::string::npos
          ? sub.get_option_no_throw(text.substr(prefix.size(), equals - prefix.size()))
          : nullptr;
  if (option) {
    std::fprintf(stderr, "%s: %s '%s': not a valid %s (%s --help)\n", who.c_str(),
                 option->get_name().c_str(), text.substr(equals + 3).c_str(),
                 option->get_type_name().c_str(), who.c_str());
    return kInputError;
  }
  std::fprintf(stderr, "%s: %s (%s --help)\n", who.c_str(), text.c_str(), who.c_str());
  return kInputError;
}

}  // namespace kiln::cli
