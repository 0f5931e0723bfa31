# Runs at install time (cmake --install, cpack): /opt/cni/bin/lite-vswitch, where containerd,
# Kubernetes and the CNI spec's examples look for plugins, as a link to the plugin installed in
# <prefix>/lib/cni. Only for the system prefixes (/usr, /): a private prefix gets nothing outside
# itself.
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr" OR CMAKE_INSTALL_PREFIX STREQUAL "/")
  set(lvs_cni_dir "$ENV{DESTDIR}/opt/cni/bin")
  set(lvs_cni_target "${CMAKE_INSTALL_PREFIX}/lib/cni/lite-vswitch")
  string(REPLACE "//" "/" lvs_cni_target "${lvs_cni_target}")
  file(MAKE_DIRECTORY "${lvs_cni_dir}")
  message(STATUS "Installing: ${lvs_cni_dir}/lite-vswitch -> ${lvs_cni_target}")
  file(CREATE_LINK "${lvs_cni_target}" "${lvs_cni_dir}/lite-vswitch" SYMBOLIC)
endif()
