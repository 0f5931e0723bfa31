# `cpack -G DEB` in the build directory: the lite-vswitch Debian package of what
# ctl/packaging/CMakeLists.txt installs, under /usr (README.md here). Included by the top-level
# CMakeLists.txt, so that CPackConfig.cmake lands in the build directory.
# cpack (and the install target) package what is built, without building all of the project
# first: build, then `cmake --install` or `cpack` (the package test runs cpack on a built tree).
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)

set(LVS_PACKAGE_MAINTAINER "Lite vSwitch maintainers <lite-vswitch@localhost>"
    CACHE STRING "The Maintainer field of the Debian package")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME lite-vswitch)
set(CPACK_PACKAGE_VENDOR "Lite vSwitch")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "${LVS_PACKAGE_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "userspace poll-mode software switch for container hosts")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # lite-vswitch_VERSION_ARCH.deb
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${LVS_PACKAGE_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Below the summary line (CPACK_PACKAGE_DESCRIPTION_SUMMARY).
string(CONCAT CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "Lite vSwitch forwards Ethernet frames between containers, VMs and the host with\n"
    "DPDK poll-mode threads: VLAN access and trunk ports, MAC learning, VXLAN and Geneve\n"
    "tunnels, AF_XDP, vhost-user and tap ports, NAT and published ports.\n"
    "This package holds the daemon vswitchd (systemd unit lite-vswitchd.service),\n"
    "vsctl to configure it, vsattach to attach containers, and the lite-vswitch CNI\n"
    "plugin in /usr/lib/cni.")
# Libraries: from the programs' ELF headers when dpkg-shlibdeps is there (dpkg-dev), else Debian
# 12's names of what they link.
find_program(LVS_DPKG_SHLIBDEPS dpkg-shlibdeps)
if(LVS_DPKG_SHLIBDEPS)
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
else()
  message(STATUS "dpkg-shlibdeps not found: the package's Depends is Debian 12's fixed list")
  set(CPACK_DEBIAN_PACKAGE_DEPENDS
      "libc6, libstdc++6, libgcc-s1, libboost-program-options1.74.0, libnl-3-200, libnl-route-3-200, libnftables1, libcpp-httplib0.11, librte-eal23, librte-ethdev23, librte-mbuf23, librte-mempool23, librte-net23, librte-net-vhost23, librte-ring23, librte-rcu23")
  if(LVS_HAVE_SYSTEMD)
    string(APPEND CPACK_DEBIAN_PACKAGE_DEPENDS ", libsystemd0")
  endif()
endif()
# DPDK's poll-mode drivers are loaded at run time (dpdk pulls them all in); iptables for the
# FORWARD rules (the switch works without them); the reference CNI plugins to chain with.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "dpdk, iptables")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "containernetworking-plugins, docker.io | podman")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${CMAKE_CURRENT_LIST_DIR}/debian/postinst ${CMAKE_CURRENT_LIST_DIR}/debian/prerm
    ${CMAKE_CURRENT_LIST_DIR}/debian/postrm ${CMAKE_CURRENT_LIST_DIR}/debian/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

include(CPack)
