{
  # node-gyp build of the addon, the same as CMakeLists.txt builds with cmake-js. Used by
  # prebuildify (scripts/prebuildify.mjs) and by the install step when it builds from source.
  # Needs the wslay >= 1.1 development files: see deps/README.md.
  #
  # With GYP_DEFINES=bundle_wslay=1 (set by scripts/prebuildify.mjs) the shared library
  # libwslay.so.1 is copied into build/Release beside wslay.node; RUNPATH=$ORIGIN makes the
  # addon find it there, so a prebuild needs no system wslay.
  'variables': {
    'bundle_wslay%': 0,
  },
  'targets': [
    {
      'target_name': 'wslay',
      # Every native/*.cpp, as CMakeLists.txt's file(GLOB): a new file needs no edit here.
      'sources': [
        "<!@(node -p \"require('fs').readdirSync('native').filter((f) => f.endsWith('.cpp')).sort().map((f) => 'native/' + f).join(' ')\")",
      ],
      # node-addon-api's headers only: its gyp targets define the exception macros in another
      # spelling, which napi.h then redefines (a warning per file). The defines below are the
      # ones CMakeLists.txt uses; node-gyp already compiles with -fno-exceptions -fno-rtti.
      'include_dirs': [
        "<!(node -p \"require('node-addon-api').include_dir\")",
      ],
      'defines': [
        'NAPI_VERSION=8',
        'NAPI_DISABLE_CPP_EXCEPTIONS',
        'NODE_ADDON_API_DISABLE_DEPRECATED',
        'NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS',
      ],
      'cflags_cc': ['-std=c++17', '-Wall', '-Wextra'],
      'cflags_cc!': ['-std=gnu++17', '-std=gnu++20'],
      'libraries': ['-lwslay'],
      'conditions': [
        ['OS=="linux"', {
          'ldflags': ['-Wl,--enable-new-dtags', "-Wl,-rpath,'$$ORIGIN'"],
        }],
        ['OS=="linux" and bundle_wslay==1', {
          'variables': {
            'libwslay_path': '<!(node deps/check-wslay.mjs --lib-path)',
          },
          'actions': [
            {
              'action_name': 'bundle_libwslay',
              'inputs': ['<(libwslay_path)'],
              'outputs': ['<(PRODUCT_DIR)/libwslay.so.1'],
              'action': ['cp', '-fL', '<(libwslay_path)', '<(PRODUCT_DIR)/libwslay.so.1'],
            },
          ],
        }],
        ['OS=="mac"', {
          # Untested here (no macOS machine): Homebrew's prefixes. See docs/platforms.md.
          'include_dirs': ['/opt/homebrew/include', '/usr/local/include'],
          'libraries': ['-L/opt/homebrew/lib', '-L/usr/local/lib'],
          'xcode_settings': {
            'CLANG_CXX_LANGUAGE_STANDARD': 'c++17',
            'MACOSX_DEPLOYMENT_TARGET': '11.0',
            'LD_RUNPATH_SEARCH_PATHS': ['@loader_path'],
            'OTHER_CPLUSPLUSFLAGS': ['-Wall', '-Wextra'],
          },
        }],
      ],
    },
  ],
}
