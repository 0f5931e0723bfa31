#pragma once
// The database view vsctl edits: tables Bridge, Port, Interface and Open_vSwitch, their columns,
// and how a COLUMN[:KEY]=VALUE word reads, sets, clears or removes a column of a record (Open
// vSwitch's column syntax). Shared by the column commands and add-port.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "ctl/command_table.hpp"
#include "ctl/config.hpp"
#include "ctl/runtime.hpp"

namespace lvs::ctl {

enum class Table { kBridge, kPort, kInterface, kOpenVswitch };

// Table names are case-insensitive ("interface", "Open_vSwitch").
std::optional<Table> parse_table(const std::string& word);
const char* table_name(Table table);

// A record of Bridge, Port or Interface, or the Open_vSwitch record: pointers into the
// configuration.
struct Record {
  BridgeConfig* bridge = nullptr;
  PortConfig* port = nullptr;
  Config* global = nullptr;
};

// "col:key=value" / "col=value" / "col:key" / "col", unquoted.
struct ColumnArg {
  std::string column;
  std::optional<std::string> key;
  std::optional<std::string> value;
};
ColumnArg split_column_arg(const std::string& word);

bool has_column(Table table, const std::string& column);
bool is_map_column(const std::string& column);
// Columns the running switch fills (error, link_state, mtu, mac_in_use, statistics).
bool is_runtime_column(const std::string& column);
Status check_column(Table table, const std::string& column);

Status set_column(Table table, Record record, const ColumnArg& arg);
Status clear_column(Table table, Record record, const std::string& column);
Status remove_values(Table table, Record record, const std::string& column, const Words& values);

// A column's value as vsctl shows it (OVS datum: an unset optional is []); runtime columns
// read `runtime` (null: empty).
nlohmann::json column_value(Table table, const BridgeConfig& bridge, const PortConfig* port,
                            const std::string& column, const Runtime* runtime);
nlohmann::json global_value(const Config& config, const std::string& column);
// Every column of one record.
nlohmann::json record_json(Table table, const BridgeConfig& bridge, const PortConfig* port,
                           const Runtime* runtime);
nlohmann::json global_record_json(const Config& config);

}  // namespace lvs::ctl
