# The Debian package: `cpack -G DEB` in a release build folder (packaging/build-deb.sh).
# Installs the two programs, the production default configuration (a conffile), the systemd
# unit, a sysusers.d entry (user replenish), a tmpfiles.d entry (/var/lib/replenish) and the
# operator console's static files (/usr/share/replenish/console; Chart.js from libjs-chart.js).
set(_pkg ${PROJECT_SOURCE_DIR}/packaging)
install(FILES ${_pkg}/replenishd.yaml DESTINATION /etc/replenish)
install(FILES ${_pkg}/replenishd.service DESTINATION /lib/systemd/system)
install(FILES ${_pkg}/replenish.sysusers DESTINATION /usr/lib/sysusers.d RENAME replenish.conf)
install(FILES ${_pkg}/replenish.tmpfiles DESTINATION /usr/lib/tmpfiles.d RENAME replenish.conf)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/console/ DESTINATION ${REPLENISH_CONSOLE_DIR}
        FILES_MATCHING PATTERN "*.html" PATTERN "*.js" PATTERN "*.css" PATTERN "*.svg")
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION share/doc/replenish)
install(FILES ${PROJECT_SOURCE_DIR}/config/replenishd.yaml DESTINATION share/doc/replenish
        RENAME replenishd.yaml.reference)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME replenish)
set(CPACK_PACKAGE_VENDOR replenish)
set(CPACK_PACKAGE_CONTACT "replenish maintainers <root@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "repurchase-reminder engine for shops selling periodic goods")
string(CONCAT CPACK_PACKAGE_DESCRIPTION
       "replenishd learns each customer's purchase cycle per periodic category and sends a "
       "care message with a coupon just before they run out; replenishctl is the operator's "
       "tool.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Depends: computed by dpkg-shlibdeps from the binaries' shared libraries, plus procps for the
# unit's ExecReload=/bin/kill and libjs-chart.js for the console's charts.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "procps, libjs-chart.js")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${_pkg}/deb/conffiles ${_pkg}/deb/postinst
                                       ${_pkg}/deb/prerm ${_pkg}/deb/postrm)
set(CPACK_WARN_ON_ABSOLUTE_INSTALL_DESTINATION OFF)
include(CPack)
