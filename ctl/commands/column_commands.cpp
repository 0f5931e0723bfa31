// set, get, remove, clear and list: records of Bridge, Port, Interface and Open_vSwitch, named
// as ovs-vsctl names them (Open_vSwitch has one record, ".").
#include "ctl/commands/columns.hpp"
#include "ctl/commands/handlers.hpp"

namespace lvs::ctl {
namespace {

using nlohmann::json;

Result<Table> need_table(const std::string& word) {
  auto table = parse_table(word);
  if (!table)
    return invalid_error("unknown table \"" + word +
                         "\" (known: Bridge, Port, Interface, Open_vSwitch)");
  return *table;
}

Error no_global_row(const std::string& record) {
  return not_found_error("no row \"" + record +
                         "\" in table Open_vSwitch (its one record is \".\")");
}

// The record args[1] of table args[0]; an empty Record (no bridge, no global) when it does not
// exist and --if-exists was given.
Result<Record> need_record(CommandContext& ctx, Table table) {
  const std::string& name = ctx.args[1];
  Record record;
  if (table == Table::kOpenVswitch) {
    if (name != ".") return no_global_row(name);
    record.global = &ctx.config;
  } else if (table == Table::kBridge) {
    record.bridge = ctx.config.find_bridge(name);
  } else {
    record.bridge = ctx.config.bridge_of_port(name);
    if (record.bridge) record.port = record.bridge->find_port(name);
  }
  if (!record.bridge && !record.global && !ctx.has_option("--if-exists"))
    return not_found_error("no row \"" + name + "\" in table " + table_name(table));
  return record;
}

// Finds the table args[0] and its record args[1], then runs `edit` on them; a missing record is
// an error, or nothing at all with --if-exists.
template <typename Edit>
Status with_record(CommandContext& ctx, Edit&& edit) {
  auto table = need_table(ctx.args[0]);
  if (!table) return table.error();
  auto record = need_record(ctx, *table);
  if (!record) return record.error();
  if (!record->bridge && !record->global) return std::nullopt;
  return edit(*table, *record);
}

// get TABLE RECORD COLUMN[:KEY]...: the values now, read again after the commit when a column
// is the running switch's.
Status get_values(CommandContext& ctx, Table table, const Record r) {
  std::vector<json> values;
  bool runtime_needed = false;
  for (size_t i = 2; i < ctx.args.size(); ++i) {
    ColumnArg column = split_column_arg(ctx.args[i]);
    if (column.value) return syntax_error("get: \"" + ctx.args[i] + "\" is not COLUMN[:KEY]");
    if (auto e = check_column(table, column.column)) return e;
    runtime_needed |= is_runtime_column(column.column);
    json value = r.global ? global_value(ctx.config, column.column)
                          : column_value(table, *r.bridge, r.port, column.column, nullptr);
    if (column.key) {
      if (!is_map_column(column.column))
        return invalid_error("column " + column.column + " is not a map: \"" + ctx.args[i] + "\"");
      if (column.column == "statistics") {
        values.push_back(nullptr);  // filled after the commit
        continue;
      }
      if (!value.contains(*column.key)) {
        if (ctx.has_option("--if-exists")) continue;
        return not_found_error("no key \"" + *column.key + "\" in " + table_name(table) +
                               " record \"" + ctx.args[1] + "\" column " + column.column);
      }
      value = value[*column.key];
    }
    values.push_back(value);
  }
  ctx.print(values);
  if (!runtime_needed) return std::nullopt;
  // Runtime columns: read again once committed (the record's names survive the commit).
  const std::string bridge_name = r.bridge->name, port_name = r.port ? r.port->name : "";
  const Words columns(ctx.args.begin() + 2, ctx.args.end());
  ctx.print_after_commit([bridge_name, port_name, table, columns, before = json(values)](
                             const Config& config, Runtime* runtime) -> json {
    const BridgeConfig* b = config.find_bridge(bridge_name);
    const PortConfig* p = b && !port_name.empty() ? b->find_port(port_name) : nullptr;
    if (!b || (!port_name.empty() && !p)) return before;
    json fresh = json::array();
    for (const auto& word : columns) {
      ColumnArg column = split_column_arg(word);
      json value = column_value(table, *b, p, column.column, runtime);
      if (column.key) {
        if (!value.contains(*column.key)) continue;
        value = value[*column.key];
      }
      fresh.push_back(value);
    }
    return fresh;
  });
  return std::nullopt;
}

}  // namespace

Status set_columns(CommandContext& ctx) {
  return with_record(ctx, [&](Table table, Record record) -> Status {
    for (size_t i = 2; i < ctx.args.size(); ++i) {
      ColumnArg column = split_column_arg(ctx.args[i]);
      if (!column.value)
        return syntax_error("set: \"" + ctx.args[i] + "\" is not COLUMN[:KEY]=VALUE");
      if (auto e = set_column(table, record, column)) return e;
    }
    return std::nullopt;
  });
}

Status clear_columns(CommandContext& ctx) {
  return with_record(ctx, [&](Table table, Record record) -> Status {
    for (size_t i = 2; i < ctx.args.size(); ++i)
      if (auto e = clear_column(table, record, ctx.args[i])) return e;
    return std::nullopt;
  });
}

Status remove_from_column(CommandContext& ctx) {
  return with_record(ctx, [&](Table table, Record record) {
    return remove_values(table, record, ctx.args[2], Words(ctx.args.begin() + 3, ctx.args.end()));
  });
}

Status get_columns(CommandContext& ctx) {
  return with_record(ctx,
                     [&](Table table, Record record) { return get_values(ctx, table, record); });
}

Status list_records(CommandContext& ctx) {
  auto table = need_table(ctx.args[0]);
  if (!table) return table.error();
  const Words& args = ctx.args;
  if (*table == Table::kOpenVswitch) {
    for (size_t i = 1; i < args.size(); ++i)
      if (args[i] != ".") return no_global_row(args[i]);
    ctx.print_after_commit(
        [](const Config& config, Runtime*) { return json::array({global_record_json(config)}); });
    return std::nullopt;
  }
  // (bridge, port) names: they survive the commit, pointers into the copy do not.
  std::vector<std::pair<std::string, std::string>> keys;
  if (args.size() == 1) {
    for (const auto& b : ctx.config.bridges) {
      if (*table == Table::kBridge)
        keys.emplace_back(b.name, "");
      else
        for (const auto& p : b.ports) keys.emplace_back(b.name, p.name);
    }
  } else {
    for (size_t i = 1; i < args.size(); ++i) {
      BridgeConfig* b = *table == Table::kBridge ? ctx.config.find_bridge(args[i])
                                                 : ctx.config.bridge_of_port(args[i]);
      if (!b) {
        if (ctx.has_option("--if-exists")) continue;
        return not_found_error("no row \"" + args[i] + "\" in table " + table_name(*table));
      }
      keys.emplace_back(b->name, *table == Table::kBridge ? "" : args[i]);
    }
  }
  const Table t = *table;
  ctx.print_after_commit([keys, t](const Config& config, Runtime* runtime) {
    json out = json::array();
    for (const auto& [bridge_name, port_name] : keys) {
      const BridgeConfig* b = config.find_bridge(bridge_name);
      if (!b) continue;
      const PortConfig* p = port_name.empty() ? nullptr : b->find_port(port_name);
      if (!port_name.empty() && !p) continue;
      out.push_back(record_json(t, *b, p, runtime));
    }
    return out;
  });
  return std::nullopt;
}

}  // namespace lvs::ctl
