// The generic command engine: splits a chain, parses each command against its row of the table
// (command_table.cpp), checks options and arity, and runs the row's handler.
#include "ctl/commands.hpp"

namespace lvs::ctl {

std::vector<Words> split_chain(const Words& words) {
  std::vector<Words> out;
  Words cur;
  for (const auto& w : words) {
    if (w == "--") {
      if (!cur.empty()) out.push_back(std::move(cur));
      cur.clear();
    } else {
      cur.push_back(w);
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

Result<Command> parse_command(const Words& segment) {
  Command c;
  size_t i = 0;
  while (i < segment.size() && segment[i].size() > 2 && segment[i].rfind("--", 0) == 0)
    c.options.push_back(segment[i++]);
  if (i >= segment.size()) return syntax_error("missing command name after options");
  c.name = segment[i++];
  c.spec = find_command(c.name);
  if (!c.spec) return syntax_error("unknown command \"" + c.name + "\"; try vsctl --help");
  for (const auto& o : c.options)
    if (!accepts_option(*c.spec, o)) return syntax_error(c.name + ": unknown option \"" + o + "\"");
  c.args.assign(segment.begin() + static_cast<long>(i), segment.end());
  const CommandSpec& s = *c.spec;
  if (c.args.size() < s.min_args || c.args.size() > s.max_args) {
    std::string want = s.min_args == s.max_args ? std::to_string(s.min_args)
                       : s.max_args == kAnyNumber
                           ? "at least " + std::to_string(s.min_args)
                           : std::to_string(s.min_args) + " to " + std::to_string(s.max_args);
    return syntax_error(c.name + ": expects " + want + " argument(s), got " +
                        std::to_string(c.args.size()));
  }
  return c;
}

std::vector<std::string> command_names() {
  std::vector<std::string> out;
  for (const auto& spec : command_table()) out.emplace_back(spec.name);
  return out;
}

bool is_read_only(const std::string& name) {
  const CommandSpec* spec = find_command(name);
  return spec && spec->read_only;
}

Status Engine::run(const std::vector<Words>& chain) {
  std::vector<Command> commands;
  for (const auto& segment : chain) {
    auto c = parse_command(segment);
    if (!c) return c.error();
    commands.push_back(std::move(*c));
  }
  outputs_.assign(commands.size(), nullptr);
  for (size_t slot = 0; slot < commands.size(); ++slot) {
    const Command& command = commands[slot];
    std::vector<CommandContext::AfterCommit> after_commit;
    CommandContext context(config_, runtime_, command.args, command.options, outputs_[slot],
                           after_commit);
    if (auto e = command.spec->handler(context)) return e;
    for (auto& read : after_commit) deferred_.emplace_back(slot, std::move(read));
  }
  return std::nullopt;
}

void Engine::finish() {
  for (auto& [slot, read] : deferred_) outputs_[slot] = read(config_, runtime_);
  deferred_.clear();
}

}  // namespace lvs::ctl
