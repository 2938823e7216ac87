#!/bin/sh
# The compiler launcher when ccache is present: ccache with the sloppiness its
# manual asks for precompiled headers (the test executables precompile Catch2
# and RapidCheck), so those translation units are cached too.
CCACHE_SLOPPINESS="${CCACHE_SLOPPINESS:+$CCACHE_SLOPPINESS,}pch_defines,time_macros,include_file_mtime,include_file_ctime"
export CCACHE_SLOPPINESS
exec ccache "$@"
