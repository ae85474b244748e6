import ServiceModel
import Watcher

enum FileSourceHelper {
    static func load(_ path: String) -> [KubernetesObject] {
        Array(FileSource(path: path).load().objects.values)
    }
}
