# Generates the register map outputs from rtl/regmap/lm_regmap.yaml at configure time, so that
# verilate() (which runs at configure time too) can include lm_regs.vh. Editing the YAML or the
# generator re-runs the configure step.
#
# Provides: L2SEC_GENERATED_DIR, L2SEC_PYTHON, and the INTERFACE target l2sec::regs.

# Debian's interpreter carries python3-yaml from scripts/setup-debian.sh; a pyenv or venv python3
# first on PATH may not.
find_program(L2SEC_PYTHON NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
if(NOT L2SEC_PYTHON)
  find_program(L2SEC_PYTHON NAMES python3 REQUIRED)
endif()

set(L2SEC_REGMAP_SOURCE ${PROJECT_SOURCE_DIR}/rtl/regmap/lm_regmap.yaml)
set(L2SEC_REGMAP_GENERATOR ${PROJECT_SOURCE_DIR}/scripts/regmap_gen.py)
set(L2SEC_GENERATED_DIR ${PROJECT_BINARY_DIR}/generated)

execute_process(
  COMMAND ${L2SEC_PYTHON} ${L2SEC_REGMAP_GENERATOR} ${L2SEC_REGMAP_SOURCE} ${L2SEC_GENERATED_DIR}
  RESULT_VARIABLE _regmap_rc
  ERROR_VARIABLE _regmap_err)
if(NOT _regmap_rc EQUAL 0)
  message(FATAL_ERROR "register map generation failed:\n${_regmap_err}")
endif()
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
  ${L2SEC_REGMAP_SOURCE} ${L2SEC_REGMAP_GENERATOR})
message(STATUS "register map: ${L2SEC_GENERATED_DIR}/{lm_regs.vh,lm_regs.hpp,regs.md}")

add_library(l2sec_regs INTERFACE)
add_library(l2sec::regs ALIAS l2sec_regs)
target_include_directories(l2sec_regs INTERFACE ${L2SEC_GENERATED_DIR})
