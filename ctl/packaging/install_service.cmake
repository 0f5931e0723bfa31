# Runs at install time (cmake --install, cpack), with the prefix installed to: writes
# lite-vswitchd.service naming that prefix's vswitchd and installs it with the options file.
# GNUInstallDirs' rule for the configuration directory: /etc for the prefixes / and /usr.
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr" OR CMAKE_INSTALL_PREFIX STREQUAL "/")
  set(LVS_SYSCONFDIR /etc)
else()
  set(LVS_SYSCONFDIR "${CMAKE_INSTALL_PREFIX}/etc")
endif()
set(LVS_SBINDIR "${CMAKE_INSTALL_PREFIX}/${LVS_SBINDIR_RELATIVE}")
string(REPLACE "//" "/" LVS_SBINDIR "${LVS_SBINDIR}")
configure_file("${LVS_PACKAGING_SOURCE_DIR}/lite-vswitchd.service.in"
               "${LVS_PACKAGING_BINARY_DIR}/lite-vswitchd.service" @ONLY)
file(INSTALL "${LVS_PACKAGING_BINARY_DIR}/lite-vswitchd.service"
     DESTINATION "${CMAKE_INSTALL_PREFIX}/lib/systemd/system" FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
file(INSTALL "${LVS_PACKAGING_SOURCE_DIR}/lite-vswitchd.default" DESTINATION "${LVS_SYSCONFDIR}/default"
     RENAME lite-vswitchd FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
