# Compiles one bpf/<name>.bpf.c with clang for the BPF target (CO-RE, BTF kept) and generates
# <name>.skel.h with bpftool. The skeleton embeds the object, so nothing is read at run time.
find_program(BPF_CLANG NAMES clang clang-19 clang-14 REQUIRED)
find_program(BPFTOOL bpftool PATHS /usr/sbin /sbin REQUIRED)

# The uapi headers (linux/bpf.h, asm/types.h) come from linux-libc-dev, never from the running
# kernel; asm/ lives in the multiarch directory, which clang does not search for -target bpf.
if(CMAKE_LIBRARY_ARCHITECTURE)
  set(BPF_MULTIARCH_INCLUDE -idirafter /usr/include/${CMAKE_LIBRARY_ARCHITECTURE})
endif()
string(TOLOWER ${CMAKE_SYSTEM_PROCESSOR} BPF_ARCH)
if(BPF_ARCH MATCHES "x86_64|amd64")
  set(BPF_TARGET_ARCH x86)
elseif(BPF_ARCH MATCHES "aarch64|arm64")
  set(BPF_TARGET_ARCH arm64)
else()
  set(BPF_TARGET_ARCH ${BPF_ARCH})
endif()

function(add_bpf_skeleton src out_dir out_list)
  get_filename_component(name ${src} NAME_WE)
  set(obj ${out_dir}/${name}.bpf.o)
  set(linked ${out_dir}/${name}.linked.o)
  set(skel ${out_dir}/${name}.skel.h)
  file(GLOB bpf_headers ${PROJECT_SOURCE_DIR}/bpf/include/*.h)
  add_custom_command(
    OUTPUT ${skel}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${out_dir}
    # -MD: headers outside bpf/include (a collector's private bpf/<name>.h) are dependencies too.
    COMMAND ${BPF_CLANG} -g -O2 -Wall -Werror -target bpf -D__TARGET_ARCH_${BPF_TARGET_ARCH}
            -I${PROJECT_SOURCE_DIR}/bpf/include ${BPF_MULTIARCH_INCLUDE}
            -MD -MF ${obj}.d -MT ${skel} -c ${src} -o ${obj}
    # "gen object" strips DWARF but keeps the BTF that CO-RE needs.
    COMMAND ${BPFTOOL} gen object ${linked} ${obj}
    # Every object's read-only data holds struct ke_hist_config (bpf/include/ke_bpf.h): the
    # skeleton includes its definition itself, whatever its includer included before.
    COMMAND sh -c "echo '#include \"ke_hist.h\"' > ${skel} && ${BPFTOOL} gen skeleton ${linked} name ${name}_bpf >> ${skel}"
    DEPENDS ${src} ${bpf_headers}
    DEPFILE ${obj}.d
    COMMENT "BPF skeleton ${name}"
    VERBATIM)
  set(${out_list} ${${out_list}} ${skel} PARENT_SCOPE)
endfunction()

# Every <dir>/*.bpf.c as a skeleton in out_dir, all built by custom target `target`.
function(add_bpf_skeletons dir out_dir target)
  file(GLOB sources CONFIGURE_DEPENDS ${dir}/*.bpf.c)
  set(skeletons)
  foreach(src ${sources})
    add_bpf_skeleton(${src} ${out_dir} skeletons)
  endforeach()
  add_custom_target(${target} DEPENDS ${skeletons})
endfunction()
