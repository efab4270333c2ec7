# Embeds schemas/NNNN_name.sql into the library so an installed daemon migrates without the
# source tree. Editing or adding a file re-runs this at the next build.
file(GLOB REPLENISH_SCHEMA_FILES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/schemas/[0-9][0-9][0-9][0-9]_*.sql)
list(SORT REPLENISH_SCHEMA_FILES)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${REPLENISH_SCHEMA_FILES})
set(_entries "")
foreach(f ${REPLENISH_SCHEMA_FILES})
  get_filename_component(_name ${f} NAME)
  string(SUBSTRING ${_name} 0 4 _version)
  math(EXPR _version "${_version} + 0")
  file(READ ${f} _sql)
  string(APPEND _entries "    {${_version}, \"${_name}\", R\"replenish_sql(${_sql})replenish_sql\"},\n")
endforeach()
set(REPLENISH_EMBEDDED_SCHEMAS "${CMAKE_CURRENT_BINARY_DIR}/embedded_schemas.cpp")
file(CONFIGURE OUTPUT ${REPLENISH_EMBEDDED_SCHEMAS} CONTENT
"// Generated from schemas/*.sql by cmake/EmbedSchemas.cmake. Do not edit.
#include \"store/migrations.hpp\"

namespace replenish::store {
const std::vector<Migration>& embedded_migrations() {
  static const std::vector<Migration> kMigrations{
${_entries}  };
  return kMigrations;
}
}  // namespace replenish::store
")
