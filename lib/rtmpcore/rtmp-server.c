#include "rtmp-server.h"
