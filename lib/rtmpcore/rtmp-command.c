#include "rtmp-command.h"
